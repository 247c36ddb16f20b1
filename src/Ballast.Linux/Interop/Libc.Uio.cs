#pragma warning disable CS8981 // C struct names are kept verbatim in Interop

using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/uio.h
internal static unsafe partial class Libc
{
    // preadv2(2): fail with EAGAIN instead of waiting, whatever the descriptor's O_NONBLOCK says.
    public const int RWF_NOWAIT = 0x08;

    [StructLayout(LayoutKind.Sequential)]
    public struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint preadv2(int fd, iovec* iov, int iovcnt, long offset, int flags);
}

#pragma warning disable CS8981 // C struct names are kept verbatim in Interop

using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// poll.h
internal static unsafe partial class Libc
{
    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    [StructLayout(LayoutKind.Sequential)]
    public struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);
}

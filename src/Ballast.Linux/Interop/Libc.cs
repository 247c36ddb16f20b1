using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

/// <summary>
/// Every libc call Ballast makes, C names verbatim (this folder only), one file per header: <c>Libc.Unistd.cs</c>,
/// <c>Libc.Fcntl.cs</c>, <c>Libc.Memfd.cs</c>, <c>Libc.Mman.cs</c>, <c>Libc.Falloc.cs</c>, <c>Libc.Eventfd.cs</c>,
/// <c>Libc.Uio.cs</c>, <c>Libc.Poll.cs</c>, <c>Libc.Socket.cs</c>, <c>Libc.Stat.cs</c>, <c>Libc.Signal.cs</c>,
/// <c>Libc.Pwd.cs</c>, and errno.h here. Linux x86_64 layouts and values (aarch64 agrees except where a file says);
/// every call that sets errno says so (<c>SetLastError</c>), read it with <see cref="Marshal.GetLastPInvokeError"/>.
/// <c>InteropAbiTests</c> and <c>SplitRingAbiTests</c> compare the numbers with gcc's.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibC = "libc";

    // errno.h
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int ENXIO = 6;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
}

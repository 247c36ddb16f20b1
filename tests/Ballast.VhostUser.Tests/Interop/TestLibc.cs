using System.Runtime.InteropServices;

namespace Ballast.VhostUser.Tests.Interop;

/// <summary>libc calls the tests need beyond the product's Interop (C names verbatim).</summary>
internal static unsafe partial class TestLibc
{
    public const int O_CLOEXEC = 0x80000;
    public const uint MFD_CLOEXEC = 1;
    public const uint MFD_ALLOW_SEALING = 2;
    public const int F_ADD_SEALS = 1033;
    public const int EPERM = 1;
    public const int O_NONBLOCK = 0x800;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>eventfd(2); flags 0 (or O_CLOEXEC alone) makes a blocking one, as a hostile front-end may send.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    /// <summary>glibc's function behind the CMSG_NXTHDR macro.</summary>
    [LibraryImport("libc")]
    public static partial Ballast.VhostUser.Interop.Libc.cmsghdr* __cmsg_nxthdr(Ballast.VhostUser.Interop.Libc.msghdr* mhdr, Ballast.VhostUser.Interop.Libc.cmsghdr* cmsg);
}

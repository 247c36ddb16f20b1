using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux.Tests.Interop;

/// <summary>glibc's own CMSG_NXTHDR (a function behind the macro), to check Ballast.Linux's port against it.</summary>
internal static unsafe partial class TestLibc
{
    [LibraryImport("libc")]
    public static partial Libc.cmsghdr* __cmsg_nxthdr(Libc.msghdr* mhdr, Libc.cmsghdr* cmsg);
}

using Ballast.TestKit;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.Linux.Tests.Interop;

/// <summary>
/// Every struct layout, macro and constant in <c>src/Ballast.Linux/Interop</c>, compared with what gcc makes of
/// the system's headers: msghdr/cmsghdr/iovec (sys/socket.h), sockaddr_un (sys/un.h), pollfd (poll.h), the
/// struct stat offsets we read (sys/stat.h), the CMSG_* macros and the flag values.
/// </summary>
public sealed unsafe class InteropAbiTests
{
    private const string Source = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <poll.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/stat.h>
        #include <sys/un.h>
        #include <unistd.h>

        #define P(name, v) printf("%s %lu\n", name, (unsigned long)(v))

        int main(void)
        {
            P("msghdr", sizeof(struct msghdr));
            P("msghdr.msg_name", offsetof(struct msghdr, msg_name));
            P("msghdr.msg_namelen", offsetof(struct msghdr, msg_namelen));
            P("msghdr.msg_iov", offsetof(struct msghdr, msg_iov));
            P("msghdr.msg_iovlen", offsetof(struct msghdr, msg_iovlen));
            P("msghdr.msg_control", offsetof(struct msghdr, msg_control));
            P("msghdr.msg_controllen", offsetof(struct msghdr, msg_controllen));
            P("msghdr.msg_flags", offsetof(struct msghdr, msg_flags));
            P("cmsghdr", sizeof(struct cmsghdr));
            P("cmsghdr.cmsg_len", offsetof(struct cmsghdr, cmsg_len));
            P("cmsghdr.cmsg_level", offsetof(struct cmsghdr, cmsg_level));
            P("cmsghdr.cmsg_type", offsetof(struct cmsghdr, cmsg_type));
            P("iovec", sizeof(struct iovec));
            P("iovec.iov_len", offsetof(struct iovec, iov_len));
            P("sockaddr_un", sizeof(struct sockaddr_un));
            P("sockaddr_un.sun_path", offsetof(struct sockaddr_un, sun_path));
            P("sun_path", sizeof(((struct sockaddr_un *)0)->sun_path));
            P("pollfd", sizeof(struct pollfd));
            P("pollfd.events", offsetof(struct pollfd, events));
            P("pollfd.revents", offsetof(struct pollfd, revents));
            P("stat.st_mode", offsetof(struct stat, st_mode));
            P("stat.st_size", offsetof(struct stat, st_size));
            P("stat", sizeof(struct stat));
            P("statx", sizeof(struct statx));
            P("statx.stx_mask", offsetof(struct statx, stx_mask));
            P("statx.stx_uid", offsetof(struct statx, stx_uid));
            P("statx.stx_gid", offsetof(struct statx, stx_gid));
            P("statx.stx_mode", offsetof(struct statx, stx_mode));
            P("ucred", sizeof(struct ucred));
            P("ucred.pid", offsetof(struct ucred, pid));
            P("ucred.uid", offsetof(struct ucred, uid));
            P("ucred.gid", offsetof(struct ucred, gid));
            for (int n = 0; n <= 16; n++) {
                char name[32];
                snprintf(name, sizeof name, "CMSG_SPACE_%d", n);
                P(name, CMSG_SPACE(n * sizeof(int)));
                snprintf(name, sizeof name, "CMSG_LEN_%d", n);
                P(name, CMSG_LEN(n * sizeof(int)));
            }
            union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
            memset(&u, 0, sizeof u);
            P("CMSG_DATA", (unsigned char *)CMSG_DATA(&u.h) - (unsigned char *)&u.h);
            P("AF_UNIX", AF_UNIX);
            P("SOCK_STREAM", SOCK_STREAM);
            P("SOCK_CLOEXEC", SOCK_CLOEXEC);
            P("SOL_SOCKET", SOL_SOCKET);
            P("SCM_RIGHTS", SCM_RIGHTS);
            P("SHUT_RDWR", SHUT_RDWR);
            P("MSG_CTRUNC", MSG_CTRUNC);
            P("MSG_DONTWAIT", MSG_DONTWAIT);
            P("MSG_NOSIGNAL", MSG_NOSIGNAL);
            P("MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC);
            P("POLLIN", POLLIN);
            P("POLLOUT", POLLOUT);
            P("POLLERR", POLLERR);
            P("POLLHUP", POLLHUP);
            P("POLLNVAL", POLLNVAL);
            P("S_IFMT", S_IFMT);
            P("S_IFSOCK", S_IFSOCK);
            P("S_IFREG", S_IFREG);
            P("ENOENT", ENOENT);
            P("EINTR", EINTR);
            P("EBADF", EBADF);
            P("EAGAIN", EAGAIN);
            P("EINVAL", EINVAL);
            P("EPIPE", EPIPE);
            P("ECONNABORTED", ECONNABORTED);
            P("ECONNRESET", ECONNRESET);
            P("F_GETFD", F_GETFD);
            P("FD_CLOEXEC", FD_CLOEXEC);
            P("F_GET_SEALS", F_GET_SEALS);
            P("F_SEAL_SEAL", F_SEAL_SEAL);
            P("F_SEAL_SHRINK", F_SEAL_SHRINK);
            P("F_SEAL_GROW", F_SEAL_GROW);
            P("SO_PEERCRED", SO_PEERCRED);
            P("SO_PEERGROUPS", SO_PEERGROUPS);
            P("ERANGE", ERANGE);
            P("AT_FDCWD", (unsigned long)(long)AT_FDCWD);
            P("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW);
            P("STATX_TYPE", STATX_TYPE);
            P("STATX_MODE", STATX_MODE);
            P("STATX_UID", STATX_UID);
            P("STATX_GID", STATX_GID);
            P("F_GETFL", F_GETFL);
            P("F_SETFL", F_SETFL);
            P("O_NONBLOCK", O_NONBLOCK);
            P("SEEK_DATA", SEEK_DATA);
            P("SEEK_HOLE", SEEK_HOLE);
            P("ENXIO", ENXIO);
            return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> C = new(() => CProgram.Run(Source));

    private static void Matches(string name, long ours) => Assert.True((ulong)ours == C.Value[name], $"{name}: ours {ours}, gcc {C.Value[name]}");

    private static long Offset<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();

    [GccFact]
    public void Msghdr_MatchesSysSocket()
    {
        Matches("msghdr", sizeof(Libc.msghdr));
        foreach (var field in new[] { "msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags" })
            Matches($"msghdr.{field}", Offset<Libc.msghdr>(field));
        Matches("iovec", sizeof(Libc.iovec));
        Matches("iovec.iov_len", Offset<Libc.iovec>("iov_len"));
    }

    [GccFact]
    public void Cmsghdr_AndTheCmsgMacros_MatchSysSocket()
    {
        Matches("cmsghdr", sizeof(Libc.cmsghdr));
        foreach (var field in new[] { "cmsg_len", "cmsg_level", "cmsg_type" })
            Matches($"cmsghdr.{field}", Offset<Libc.cmsghdr>(field));
        for (var n = 0; n <= 16; n++)
        {
            Matches($"CMSG_SPACE_{n}", (long)Libc.CMSG_SPACE((nuint)(n * sizeof(int))));
            Matches($"CMSG_LEN_{n}", (long)Libc.CMSG_LEN((nuint)(n * sizeof(int))));
        }
        var h = default(Libc.cmsghdr);
        Matches("CMSG_DATA", Libc.CMSG_DATA(&h) - (byte*)&h);
    }

    [Fact]
    public void CmsgNxthdr_WalksLikeGlibc()
    {
        // Three control messages of 1, 3 and 2 descriptors, as a kernel could deliver them.
        var space = (int)(Libc.CMSG_SPACE(4) + Libc.CMSG_SPACE(12) + Libc.CMSG_SPACE(8));
        var buffer = stackalloc byte[space + 8];
        new Span<byte>(buffer, space + 8).Clear();
        var msg = new Libc.msghdr { msg_control = buffer, msg_controllen = (nuint)space };
        var lengths = new[] { 4, 12, 8 };
        var c = Libc.CMSG_FIRSTHDR(&msg);
        foreach (var len in lengths)
        {
            c->cmsg_len = Libc.CMSG_LEN((nuint)len);
            c->cmsg_level = Libc.SOL_SOCKET;
            c->cmsg_type = Libc.SCM_RIGHTS;
            c = (Libc.cmsghdr*)((byte*)c + Libc.CMSG_SPACE((nuint)len));
        }

        var ours = Libc.CMSG_FIRSTHDR(&msg);
        var theirs = ours;
        for (var i = 0; i < lengths.Length; i++)
        {
            Assert.True(ours != null);
            Assert.Equal((nint)theirs, (nint)ours);
            ours = Libc.CMSG_NXTHDR(&msg, ours);
            theirs = TestLibc.__cmsg_nxthdr(&msg, theirs);
        }
        Assert.True(ours == null);
        Assert.True(theirs == null);
    }

    [GccFact]
    public void SockaddrUn_AndPollfd_Match()
    {
        Matches("sockaddr_un", sizeof(Libc.sockaddr_un));
        Matches("sockaddr_un.sun_path", Offset<Libc.sockaddr_un>("sun_path"));
        Matches("sun_path", Libc.SunPathLength);
        Matches("pollfd", sizeof(Libc.pollfd));
        Matches("pollfd.events", Offset<Libc.pollfd>("events"));
        Matches("pollfd.revents", Offset<Libc.pollfd>("revents"));
    }

    [GccFact]
    public void StatOffsets_MatchSysStat()
    {
        Matches("stat.st_mode", Libc.StatModeOffset);
        Matches("stat.st_size", Libc.StatSizeOffset);
        Assert.True(C.Value["stat"] <= Libc.StatBufferSize);
        Matches("S_IFMT", Libc.S_IFMT);
        Matches("S_IFSOCK", Libc.S_IFSOCK);
        Matches("S_IFREG", Libc.S_IFREG);
        Matches("statx", sizeof(Libc.statx_t));
        foreach (var field in new[] { "stx_mask", "stx_uid", "stx_gid", "stx_mode" })
            Matches($"statx.{field}", Offset<Libc.statx_t>(field));
        Matches("STATX_TYPE", Libc.STATX_TYPE);
        Matches("STATX_MODE", Libc.STATX_MODE);
        Matches("STATX_UID", Libc.STATX_UID);
        Matches("STATX_GID", Libc.STATX_GID);
        Matches("AT_FDCWD", Libc.AT_FDCWD);
        Matches("AT_SYMLINK_NOFOLLOW", Libc.AT_SYMLINK_NOFOLLOW);
    }

    [GccFact]
    public void Ucred_AndThePeerOptions_MatchSysSocket()
    {
        Matches("ucred", sizeof(Libc.ucred));
        foreach (var field in new[] { "pid", "uid", "gid" })
            Matches($"ucred.{field}", Offset<Libc.ucred>(field));
        Matches("SO_PEERCRED", Libc.SO_PEERCRED);
        Matches("SO_PEERGROUPS", Libc.SO_PEERGROUPS);
        Matches("ERANGE", Libc.ERANGE);
    }

    [GccFact]
    public void Constants_MatchTheHeaders()
    {
        Matches("AF_UNIX", Libc.AF_UNIX);
        Matches("SOCK_STREAM", Libc.SOCK_STREAM);
        Matches("SOCK_CLOEXEC", Libc.SOCK_CLOEXEC);
        Matches("SOL_SOCKET", Libc.SOL_SOCKET);
        Matches("SCM_RIGHTS", Libc.SCM_RIGHTS);
        Matches("SHUT_RDWR", Libc.SHUT_RDWR);
        Matches("MSG_CTRUNC", Libc.MSG_CTRUNC);
        Matches("MSG_DONTWAIT", Libc.MSG_DONTWAIT);
        Matches("MSG_NOSIGNAL", Libc.MSG_NOSIGNAL);
        Matches("MSG_CMSG_CLOEXEC", Libc.MSG_CMSG_CLOEXEC);
        Matches("POLLIN", Libc.POLLIN);
        Matches("POLLOUT", Libc.POLLOUT);
        Matches("POLLERR", Libc.POLLERR);
        Matches("POLLHUP", Libc.POLLHUP);
        Matches("POLLNVAL", Libc.POLLNVAL);
        Matches("ENOENT", Libc.ENOENT);
        Matches("EINTR", Libc.EINTR);
        Matches("EBADF", Libc.EBADF);
        Matches("EAGAIN", Libc.EAGAIN);
        Matches("EINVAL", Libc.EINVAL);
        Matches("EPIPE", Libc.EPIPE);
        Matches("ECONNABORTED", Libc.ECONNABORTED);
        Matches("ECONNRESET", Libc.ECONNRESET);
        Matches("F_GETFD", Libc.F_GETFD);
        Matches("FD_CLOEXEC", Libc.FD_CLOEXEC);
        Matches("F_GET_SEALS", Libc.F_GET_SEALS);
        Matches("F_SEAL_SEAL", Libc.F_SEAL_SEAL);
        Matches("F_SEAL_SHRINK", Libc.F_SEAL_SHRINK);
        Matches("F_SEAL_GROW", Libc.F_SEAL_GROW);
        Matches("F_GETFL", Libc.F_GETFL);
        Matches("F_SETFL", Libc.F_SETFL);
        Matches("O_NONBLOCK", Libc.O_NONBLOCK);
        Matches("SEEK_DATA", Libc.SEEK_DATA);
        Matches("SEEK_HOLE", Libc.SEEK_HOLE);
        Matches("ENXIO", Libc.ENXIO);
    }
}

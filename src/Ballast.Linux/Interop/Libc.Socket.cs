#pragma warning disable CS8981 // C struct names are kept verbatim in Interop

using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/socket.h and sys/un.h: AF_UNIX stream sockets with SCM_RIGHTS ancillary data.
internal static unsafe partial class Libc
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_SEQPACKET = 5;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;

    /// <summary>getsockopt: the peer's struct ucred, as recorded at connect(2) (unix(7)).</summary>
    public const int SO_PEERCRED = 17;

    /// <summary>getsockopt: the peer's supplementary groups, gid_t[] (Linux 4.13); ERANGE tells the size needed.</summary>
    public const int SO_PEERGROUPS = 59;
    public const int SHUT_RDWR = 2;

    /// <summary>setsockopt: where the next MSG_PEEK reads, advanced by each peek (socket(7); AF_UNIX since Linux 3.4).</summary>
    public const int SO_PEEK_OFF = 42;

    /// <summary>getsockopt: the socket type (SOCK_STREAM, …).</summary>
    public const int SO_TYPE = 3;

    /// <summary>getsockopt: 1 if the socket is listening (listen(2) was called).</summary>
    public const int SO_ACCEPTCONN = 30;

    /// <summary>getsockopt: the socket's address family (Linux 2.6.32).</summary>
    public const int SO_DOMAIN = 39;

    public const int MSG_PEEK = 0x2;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>sizeof(sockaddr_un.sun_path).</summary>
    public const int SunPathLength = 108;

    /// <summary>struct msghdr (56 bytes on x86_64: msg_namelen is followed by 4 bytes of padding).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    /// <summary>struct cmsghdr (16 bytes on x86_64: size_t cmsg_len, int cmsg_level, int cmsg_type); data follows at CMSG_ALIGN(16).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct cmsghdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    /// <summary>struct ucred (12 bytes): pid_t pid, uid_t uid, gid_t gid.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ucred
    {
        public int pid;
        public uint uid;
        public uint gid;
    }

    /// <summary>struct sockaddr_un (110 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_un
    {
        public ushort sun_family;
        public fixed byte sun_path[SunPathLength];
    }

    /// <summary>CMSG_ALIGN: rounds up to the alignment of size_t (8 on 64-bit Linux).</summary>
    public static nuint CMSG_ALIGN(nuint len) => (len + (nuint)sizeof(nuint) - 1) & ~((nuint)sizeof(nuint) - 1);

    /// <summary>CMSG_SPACE: bytes of control buffer one message with <paramref name="len"/> data bytes takes.</summary>
    public static nuint CMSG_SPACE(nuint len) => CMSG_ALIGN(len) + CMSG_ALIGN((nuint)sizeof(cmsghdr));

    /// <summary>CMSG_LEN: the cmsg_len value for <paramref name="len"/> data bytes.</summary>
    public static nuint CMSG_LEN(nuint len) => CMSG_ALIGN((nuint)sizeof(cmsghdr)) + len;

    /// <summary>CMSG_DATA: where a control message's data starts.</summary>
    public static byte* CMSG_DATA(cmsghdr* cmsg) => (byte*)cmsg + CMSG_ALIGN((nuint)sizeof(cmsghdr));

    /// <summary>CMSG_FIRSTHDR: the first control message, or null if the buffer cannot hold a header.</summary>
    public static cmsghdr* CMSG_FIRSTHDR(msghdr* msg) =>
        msg->msg_controllen >= (nuint)sizeof(cmsghdr) ? (cmsghdr*)msg->msg_control : null;

    /// <summary>CMSG_NXTHDR: the control message after <paramref name="cmsg"/>, or null past the end of the buffer.</summary>
    public static cmsghdr* CMSG_NXTHDR(msghdr* msg, cmsghdr* cmsg)
    {
        if (cmsg->cmsg_len < (nuint)sizeof(cmsghdr))
            return null;
        var end = (byte*)msg->msg_control + msg->msg_controllen;
        var next = (cmsghdr*)((byte*)cmsg + CMSG_ALIGN(cmsg->cmsg_len));
        if ((byte*)(next + 1) > end || (byte*)next + CMSG_ALIGN(next->cmsg_len) > end)
            return null;
        return next;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int bind(int sockfd, sockaddr_un* addr, uint addrlen);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getsockname(int sockfd, sockaddr_un* addr, uint* addrlen);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int listen(int sockfd, int backlog);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int accept4(int sockfd, void* addr, uint* addrlen, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int connect(int sockfd, sockaddr_un* addr, uint addrlen);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint sendmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recvmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int shutdown(int sockfd, int how);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint send(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recv(int sockfd, void* buf, nuint len, int flags);

    /// <summary>Control-buffer bytes for <paramref name="count"/> descriptors (one SCM_RIGHTS message).</summary>
    public static int RightsSpace(int count) => count == 0 ? 0 : (int)CMSG_SPACE((nuint)(count * sizeof(int)));

    /// <summary>
    /// Attaches <paramref name="fds"/> to <paramref name="msg"/> as one SCM_RIGHTS control message in
    /// <paramref name="control"/> (at least <see cref="RightsSpace"/> bytes); nothing for none.
    /// </summary>
    public static void PutRights(msghdr* msg, byte* control, ReadOnlySpan<int> fds)
    {
        if (fds.IsEmpty)
            return;
        var length = RightsSpace(fds.Length);
        new Span<byte>(control, length).Clear();
        msg->msg_control = control;
        msg->msg_controllen = (nuint)length;
        var cmsg = CMSG_FIRSTHDR(msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN((nuint)(fds.Length * sizeof(int)));
        fds.CopyTo(new Span<int>(CMSG_DATA(cmsg), fds.Length));
    }

    /// <summary>Hands every descriptor of every SCM_RIGHTS control message of a received <paramref name="msg"/> to <paramref name="take"/>.</summary>
    public static void TakeRights(msghdr* msg, Action<int> take)
    {
        for (var cmsg = CMSG_FIRSTHDR(msg); cmsg != null; cmsg = CMSG_NXTHDR(msg, cmsg))
        {
            if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len < CMSG_LEN(0))
                continue;
            var count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            var data = (int*)CMSG_DATA(cmsg);
            for (var i = 0; i < count; i++)
                take(data[i]);
        }
    }
}

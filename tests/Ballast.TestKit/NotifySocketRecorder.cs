using System.Runtime.InteropServices;
using System.Text;
using Ballast.Linux.Interop;

namespace Ballast.TestKit;

/// <summary>
/// A stand-in for systemd's notification socket (<c>$NOTIFY_SOCKET</c>): a datagram socket at a path that records
/// every message a service sends (sd_notify(3)) and keeps the descriptors that come with <c>FDSTORE=1</c> the way
/// systemd's file-descriptor store does — by <c>FDNAME</c>, removed by <c>FDSTOREREMOVE=1</c>.
/// </summary>
internal sealed unsafe class NotifySocketRecorder : IDisposable
{
    private readonly int _fd;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly List<string> _messages = [];
    private readonly Dictionary<string, int> _store = new(StringComparer.Ordinal);
    private volatile bool _stopping;

    public NotifySocketRecorder(string path)
    {
        Path = path;
        _fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        Assert.True(_fd >= 0, "socket(AF_UNIX, SOCK_DGRAM) failed");
        var addr = new Libc.sockaddr_un { sun_family = Libc.AF_UNIX };
        Encoding.UTF8.GetBytes(path).CopyTo(new Span<byte>(addr.sun_path, Libc.SunPathLength));
        Assert.Equal(0, Libc.bind(_fd, &addr, (uint)(sizeof(ushort) + Encoding.UTF8.GetByteCount(path) + 1)));
        _thread = new Thread(Receive) { IsBackground = true, Name = "notify-recorder" };
        _thread.Start();
    }

    /// <summary>Where the socket is bound: the value for <c>NOTIFY_SOCKET</c>.</summary>
    public string Path { get; }

    /// <summary>Every message so far.</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_lock)
                return [.. _messages];
        }
    }

    /// <summary>The store now: name → descriptor (owned by the recorder).</summary>
    public IReadOnlyDictionary<string, int> Store
    {
        get
        {
            lock (_lock)
                return new Dictionary<string, int>(_store);
        }
    }

    private void Receive()
    {
        var buffer = new byte[4096];
        var control = new byte[(int)Libc.CMSG_SPACE(64 * sizeof(int))];
        while (!_stopping)
        {
            var pfd = new Libc.pollfd { fd = _fd, events = Libc.POLLIN };
            if (Libc.poll(&pfd, 1, 100) <= 0)
                continue;
            fixed (byte* b = buffer)
            fixed (byte* c = control)
            {
                var iov = new Libc.iovec { iov_base = b, iov_len = (nuint)buffer.Length };
                var msg = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = c, msg_controllen = (nuint)control.Length };
                var n = Libc.recvmsg(_fd, &msg, Libc.MSG_CMSG_CLOEXEC);
                if (n < 0)
                    continue;
                var fds = new List<int>();
                Libc.TakeRights(&msg, fds.Add);
                Record(Encoding.UTF8.GetString(buffer, 0, (int)n), fds);
            }
        }
    }

    private void Record(string text, List<int> fds)
    {
        var fields = text.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        lock (_lock)
        {
            _messages.Add(text);
            var name = fields.GetValueOrDefault("FDNAME", "stored");
            if (fields.GetValueOrDefault("FDSTOREREMOVE") == "1" && _store.Remove(name, out var removed))
                _ = Libc.close(removed);
            if (fields.GetValueOrDefault("FDSTORE") == "1" && fds.Count == 1)
            {
                if (_store.Remove(name, out var old))
                    _ = Libc.close(old);
                _store[name] = fds[0];
                return;
            }
        }
        foreach (var fd in fds)
            _ = Libc.close(fd);
    }

    /// <summary>Lets a child started next inherit <paramref name="fd"/> (clears FD_CLOEXEC).</summary>
    public static void Inheritable(int fd) => Assert.Equal(0, Libc.fcntl(fd, 2 /* F_SETFD */, 0));

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _ = Libc.close(_fd);
        lock (_lock)
        {
            foreach (var fd in _store.Values)
                _ = Libc.close(fd);
            _store.Clear();
        }
        File.Delete(Path);
        _ = Marshal.GetLastPInvokeError();
    }
}

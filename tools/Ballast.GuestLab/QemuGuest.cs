using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.GuestLab;

/// <summary>
/// A Linux guest under QEMU (microvm with virtio-mmio or q35 with virtio-PCI, see <see cref="GuestMachine"/>; TCG; RAM
/// on a shared memfd) started as <c>chroot QEMU_ROOT qemu-system-x86_64 …</c> with guest/README.md's command line, in a
/// <see cref="GuestRunDirectory"/>. chroot execs QEMU, so <see cref="Pid"/> is QEMU's own; disposing stops that
/// process (SIGTERM, then SIGKILL) and nothing else.
/// </summary>
/// <remarks>
/// A vhost-user chardev with <c>reconnect-ms</c> connects asynchronously, and the connection only completes once
/// QEMU's main loop runs; <c>vhost-user-test-device</c> (QEMU 11.1) realizes without waiting for it, so started
/// plainly QEMU fails at once ("Failed to set msg fds", "vhost_backend_init failed: Protocol error"). With
/// <see cref="QemuGuestOptions.ReconnectMs"/> QEMU therefore starts with <c>--preconfig</c> (main loop and QMP up,
/// no devices yet), <see cref="StartAsync"/> waits on QMP <c>query-chardev</c> until the chardev is connected,
/// then sends <c>x-exit-preconfig</c>, which creates the machine and realizes the device on a live connection.
/// </remarks>
public sealed class QemuGuest : IAsyncDisposable
{
    /// <summary>The guest's console log (QEMU's console chardev <c>logfile</c>).</summary>
    public const string SerialLogName = "serial.log";

    /// <summary>The console as a Unix socket: the control channel (<c>end</c>, <c>report</c>, <c>hog MIB</c>).</summary>
    public const string ConsoleSocketName = "console.sock";

    /// <summary>QMP.</summary>
    public const string QmpSocketName = "qmp.sock";

    /// <summary>The default vhost-user socket name.</summary>
    public const string BalloonSocketName = "balloon.sock";

    /// <summary>The command line, one argument per line, for people.</summary>
    public const string CommandLineName = "qemu.cmdline";

    /// <summary>The vhost-user chardev id.</summary>
    public const string ChardevId = "ballast0";

    private readonly ChildProcess _process;
    private readonly QemuGuestOptions _options;
    private readonly GuestRam _ram;

    private QemuGuest(ChildProcess process, GuestRunDirectory directory, QemuGuestOptions options, GuestRam ram)
    {
        _process = process;
        _options = options;
        _ram = ram;
        RunDirectory = directory;
        Serial = new SerialLog(directory.HostFile(SerialLogName));
    }

    /// <summary>QEMU's pid.</summary>
    public int Pid => _process.Pid;

    /// <summary>The guest's directory.</summary>
    public GuestRunDirectory RunDirectory { get; }

    /// <summary>The guest's serial console.</summary>
    public SerialLog Serial { get; }

    /// <summary>Host path of the QMP socket.</summary>
    public string QmpSocketPath => RunDirectory.HostFile(QmpSocketName);

    /// <summary>Host path of the console socket.</summary>
    public string ConsoleSocketPath => RunDirectory.HostFile(ConsoleSocketName);

    /// <summary>True once QEMU has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>QEMU's exit status once it exited.</summary>
    public int? ExitCode => _process.ExitCode;

    /// <summary>
    /// The arguments after <c>chroot</c>: the chroot, QEMU, then its options (every path one inside the chroot).
    /// </summary>
    public static IReadOnlyList<string> BuildArguments(GuestEnvironment environment, GuestRunDirectory directory, QemuGuestOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MemoryBytes <= 0 || options.MemoryBytes % (1 << 20) != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MemoryBytes, "guest memory must be a positive whole number of MiB");
        var mem = string.Create(CultureInfo.InvariantCulture, $"{options.MemoryBytes >> 20}M");
        var append = "console=ttyS0 reboot=t panic=-1" + (options.Append.Length > 0 ? " " + options.Append : "");
        var reconnect = options.Balloon == GuestBalloonDevice.VhostUser && options.ReconnectMs > 0;
        var args = new List<string> { environment.QemuRoot, environment.Qemu };
        if (reconnect)
            args.Add("--preconfig");
        args.AddRange(
        [
            "-M", MachineArgument(options.Machine), "-accel", "tcg", "-m", mem, "-smp", "1",
            "-object", GuestRamBackings.QemuObject(options.Backing, options.MemoryBytes, GuestRam.FileInRoot(directory)),
        ]);
        if (options.Machine == GuestMachine.Microvm)
            args.AddRange(["-global", "virtio-mmio.force-legacy=false"]);
        args.AddRange(
        [
            "-kernel", KernelInRoot(environment, options.Kernel), "-initrd", InitrdInRoot(environment, options.Kernel),
            "-append", append,
            "-display", "none", "-nodefaults", "-no-reboot",
            "-chardev", $"socket,id=console,path={directory.InRootFile(ConsoleSocketName)},server=on,wait=off,logfile={directory.InRootFile(SerialLogName)}",
            "-serial", "chardev:console",
            "-qmp", $"unix:{directory.InRootFile(QmpSocketName)},server=on,wait=off",
        ]);
        switch (options.Balloon)
        {
            case GuestBalloonDevice.Builtin:
                args.Add("-device");
                args.Add(BuiltinBalloonDevice(options.Machine) + (options.DeflateOnOom ? ",deflate-on-oom=on" : "")
                    + (options.FreePageReporting ? ",free-page-reporting=on" : ""));
                break;
            case GuestBalloonDevice.VhostUser:
                var socket = options.VhostUserSocket is null ? directory.InRootFile(BalloonSocketName) : environment.InRoot(options.VhostUserSocket);
                args.Add("-chardev");
                args.Add(reconnect
                    ? string.Create(CultureInfo.InvariantCulture, $"socket,id={ChardevId},path={socket},reconnect-ms={options.ReconnectMs}")
                    : $"socket,id={ChardevId},path={socket}");
                args.Add("-device");
                args.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{VhostUserDevice(options.Machine)},chardev={ChardevId},virtio-id=5,num_vqs={options.Queues},config_size={options.ConfigSize}"));
                break;
        }
        return args;
    }

    /// <summary>The kernel QEMU boots for <paramref name="kernel"/>, a path inside the chroot.</summary>
    /// <exception cref="InvalidOperationException">Debian's kernel is asked for and <paramref name="environment"/> has none.</exception>
    public static string KernelInRoot(GuestEnvironment environment, GuestKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return kernel == GuestKernel.Ballast ? environment.KernelInRoot : environment.DebianKernelInRoot ?? throw NoDebianKernel();
    }

    /// <summary>The initramfs for <paramref name="kernel"/>, a path inside the chroot.</summary>
    /// <exception cref="InvalidOperationException">Debian's kernel is asked for and <paramref name="environment"/> has none.</exception>
    public static string InitrdInRoot(GuestEnvironment environment, GuestKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return kernel == GuestKernel.Ballast ? environment.InitrdInRoot : environment.DebianInitrdInRoot ?? throw NoDebianKernel();
    }

    private static InvalidOperationException NoDebianKernel() =>
        new($"no Debian kernel in this environment: run {GuestEnvironment.EnsureScript} {GuestEnvironment.EnsureDebianKernelArgument}");

    /// <summary>
    /// <c>-M</c>: microvm without ACPI (the kernel finds its virtio-mmio device on the command line QEMU extends), or
    /// q35 as it comes (SeaBIOS; the kernel has no ACPI and ignores QEMU's tables); guest RAM from the memfd backend.
    /// </summary>
    public static string MachineArgument(GuestMachine machine) => machine switch
    {
        GuestMachine.Microvm => "microvm,acpi=off,memory-backend=mem",
        GuestMachine.Q35 => "q35,memory-backend=mem",
        _ => throw new ArgumentOutOfRangeException(nameof(machine), machine, "unknown machine"),
    };

    /// <summary>QEMU's own balloon on <paramref name="machine"/>'s transport.</summary>
    public static string BuiltinBalloonDevice(GuestMachine machine) => machine switch
    {
        GuestMachine.Microvm => "virtio-balloon-device",
        GuestMachine.Q35 => "virtio-balloon-pci",
        _ => throw new ArgumentOutOfRangeException(nameof(machine), machine, "unknown machine"),
    };

    /// <summary>
    /// QEMU's generic vhost-user device on <paramref name="machine"/>'s transport. QEMU gives the PCI one a single MSI-X
    /// vector, fewer than Linux's virtio-pci needs, so the guest drives it with INTx.
    /// </summary>
    public static string VhostUserDevice(GuestMachine machine) => machine switch
    {
        GuestMachine.Microvm => "vhost-user-test-device",
        GuestMachine.Q35 => "vhost-user-test-device-pci",
        _ => throw new ArgumentOutOfRangeException(nameof(machine), machine, "unknown machine"),
    };

    /// <summary>
    /// Starts QEMU in <paramref name="directory"/>. For <see cref="GuestBalloonDevice.VhostUser"/> the daemon must
    /// already listen on the socket. Returns once the machine runs (with <c>reconnect-ms</c>: once the chardev is
    /// connected and the preconfig stage is left); wait for the guest with <see cref="WaitReadyAsync"/>.
    /// </summary>
    /// <exception cref="TimeoutException">QEMU exited, or the vhost-user chardev did not connect in time (QEMU is stopped).</exception>
    public static async Task<QemuGuest> StartAsync(GuestEnvironment environment, GuestRunDirectory directory, QemuGuestOptions options,
        CancellationToken ct = default)
    {
        var args = BuildArguments(environment, directory, options);
        File.WriteAllLines(directory.HostFile(CommandLineName), args.Prepend("chroot"));
        foreach (var stale in new[] { SerialLogName, ConsoleSocketName, QmpSocketName })
            File.Delete(directory.HostFile(stale));
        // Blocks while another process's huge-page guest or benchmark holds the settings (flock).
        var ram = options.Backing == MemoryBacking.Pages4K
            ? GuestRam.Prepare(directory, options)
            : await Task.Run(() => GuestRam.Prepare(directory, options), ct).ConfigureAwait(false);
        QemuGuest guest;
        try
        {
            guest = new QemuGuest(ChildProcess.Start("chroot", args, "QEMU"), directory, options, ram);
        }
        catch
        {
            ram.Dispose();
            throw;
        }
        if (!args.Contains("--preconfig"))
            return guest;
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(guest.QmpSocketPath, options.ConnectTimeout, ct).ConfigureAwait(false);
            var filename = "";
            await GuestWait.UntilAsync(async token =>
                {
                    var chardevs = await qmp.ExecuteAsync("query-chardev", null, token).ConfigureAwait(false);
                    filename = chardevs?.AsArray().FirstOrDefault(c => c?["label"]?.GetValue<string>() == ChardevId)?["filename"]?.GetValue<string>() ?? "";
                    return filename.Length > 0 && !filename.StartsWith("disconnected:", StringComparison.Ordinal);
                }, options.ConnectTimeout, TimeSpan.FromMilliseconds(20), () => $"chardev {ChardevId} to connect (last: {filename})", guest.ExitReason, ct)
                .ConfigureAwait(false);
            await qmp.ExecuteAsync("x-exit-preconfig", null, ct).ConfigureAwait(false);
            return guest;
        }
        catch
        {
            await guest.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Why a wait should stop: QEMU is gone (with its exit status and last words), or null.</summary>
    public string? ExitReason() =>
        _process.HasExited ? $"QEMU exited with status {_process.ExitCode}; its output: {_process.Tail(10)}" : null;

    /// <summary>Waits for <c>BALLAST ready</c>; fails early if QEMU exits.</summary>
    public Task<SerialEvent> WaitReadyAsync(TimeSpan timeout, CancellationToken ct = default) =>
        Serial.WaitForAsync("ready", timeout, abort: ExitReason, ct: ct);

    /// <summary>Waits for a fact (see <see cref="SerialLog.WaitForAsync"/>); fails early if QEMU exits.</summary>
    public Task<SerialEvent> WaitForAsync(string name, TimeSpan timeout, Func<SerialEvent, bool>? predicate = null, int after = 0,
        CancellationToken ct = default) =>
        Serial.WaitForAsync(name, timeout, predicate, after, ExitReason, ct);

    /// <summary>
    /// Writes <paramref name="command"/> and a newline to the console socket and keeps the connection, reading what
    /// comes back (a connected client that does not read stalls the guest's console), until the guest acknowledges
    /// the line with <c>BALLAST control …</c>; then disconnects and returns that acknowledgement.
    /// </summary>
    /// <remarks>
    /// Holding the connection until the acknowledgement: QEMU's socket chardev hands bytes to the emulated UART only as
    /// fast as the guest drains its FIFO, and its hang-up handler disconnects at once, so input not handed over yet
    /// can be lost; a busy guest under TCG can take longer than any fixed grace time. With the acknowledgement a
    /// lost or garbled command is an error here, never a command silently not run.
    /// </remarks>
    /// <exception cref="TimeoutException">No acknowledgement within <paramref name="ackTimeout"/> (default 60 s), or QEMU exited.</exception>
    /// <exception cref="InvalidOperationException">The guest answered <c>BALLAST control unknown</c>.</exception>
    public async Task<SerialEvent> SendConsoleAsync(string command, TimeSpan? ackTimeout = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (command.Contains('\n', StringComparison.Ordinal))
            throw new ArgumentException("one command per call, without a line end", nameof(command));
        var after = Serial.Count;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(ConsoleSocketPath), ct).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, ct).ConfigureAwait(false);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var draining = DrainAsync(socket, drain.Token);
        SerialEvent ack;
        try
        {
            ack = await Serial.WaitForAnyAsync(s_consoleAnswers, ackTimeout ?? TimeSpan.FromSeconds(60), after, ExitReason, ct).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"the guest did not acknowledge console command '{command}': {e.Message}", e);
        }
        finally
        {
            await drain.CancelAsync().ConfigureAwait(false);
            await draining.ConfigureAwait(false);
        }
        return ack.Name == "control"
            ? ack
            : throw new InvalidOperationException($"the guest did not understand console command '{command}': {ack}");
    }

    private static readonly string[] s_consoleAnswers = ["control", "control unknown"];

    private static async Task DrainAsync(Socket socket, CancellationToken ct)
    {
        var sink = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(sink, SocketFlags.None, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            // QEMU closed the console (the guest is ending): nothing more to drain.
        }
    }

    /// <summary>
    /// Ends the guest cleanly: <c>end</c> on the console; the guest syncs and reboots, and QEMU (-no-reboot) exits.
    /// Returns QEMU's exit status, or null if it did not exit within <paramref name="timeout"/> (it is left running
    /// for <see cref="DisposeAsync"/>).
    /// </summary>
    public async Task<int?> EndAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (_process.HasExited)
            return _process.ExitCode;
        try
        {
            await SendConsoleAsync("end", TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            // The console went away or the guest did not answer: QEMU is exiting anyway, or is stopped by the caller.
        }
        return await _process.WaitForExitAsync(timeout, ct).ConfigureAwait(false) ? _process.ExitCode : null;
    }

    /// <summary>What backs guest RAM (<see cref="QemuGuestOptions.Backing"/>).</summary>
    public MemoryBacking Backing => _ram.Backing;

    /// <summary>Host memory behind guest RAM now (see <see cref="GuestRamFile"/>).</summary>
    public long HostMemoryBytes() => GuestRamFile.AllocatedBytes(Pid, _ram.LinkPrefix);

    /// <summary>The guest RAM file's file system and block size, read from QEMU's descriptor (<see cref="GuestRamFile.Probe"/>).</summary>
    public FileHostPages RamFile() => GuestRamFile.Probe(Pid, _ram.LinkPrefix);

    /// <summary>The host's huge-page counters and QEMU's now (<see cref="HostPageCounters"/>).</summary>
    public HostPageCounters HostPages() => HostPageCounters.Read(Pid);

    /// <summary>
    /// Checks that QEMU's guest RAM file is what <see cref="Backing"/> asked for (<see cref="GuestRamBackings.Mismatch"/>)
    /// and returns its probe.
    /// </summary>
    /// <exception cref="InvalidOperationException">It is not.</exception>
    public FileHostPages VerifyBacking()
    {
        var probe = RamFile();
        return GuestRamBackings.Mismatch(Backing, probe) is { } why ? throw new InvalidOperationException(why) : probe;
    }

    /// <summary>
    /// QEMU's lines that say a vhost-user exchange with the back-end went wrong: a reply that did not pair with its
    /// request ("Received unexpected msg type. Expected 24 received 25"), a request the back-end failed ("vhost guest set
    /// device config space failed: -71"), a lost connection. A worker kill or take-over that QEMU never notices leaves none.
    /// </summary>
    public IReadOnlyList<string> VhostUserErrors() => [.. _process.Lines().Where(line =>
        line.Contains("unexpected msg type", StringComparison.OrdinalIgnoreCase)
        || (line.Contains("vhost", StringComparison.OrdinalIgnoreCase) && (line.Contains("fail", StringComparison.OrdinalIgnoreCase)
            || line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("disconnect", StringComparison.OrdinalIgnoreCase))))];

    /// <summary>The serial log's tail and QEMU's own output, for failure messages.</summary>
    public string Diagnostics(int lines = 40) =>
        $"--- serial log ({Serial.Path}), last {lines} lines ---\n{Serial.Tail(lines)}\n--- QEMU output ---\n{_process.Tail(20)}";

    /// <summary>
    /// Stops QEMU if it still runs (SIGTERM, then SIGKILL after the grace time), then lets go of its RAM's host side
    /// (<see cref="GuestRam"/>: huge-page settings put back, THP tmpfs unmounted); the run directory is its owner's.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StopAsync(_options.StopGrace).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await _process.DisposeAsync().ConfigureAwait(false);
                Serial.Dispose();
            }
            finally
            {
                _ram.Dispose();
            }
        }
    }
}

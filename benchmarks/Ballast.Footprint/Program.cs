using System.Globalization;
using Ballast.Footprint;

// Usage: Ballast.Footprint [--runs N] [--idle SECONDS] NAME=PROGRAM...
// e.g.   Ballast.Footprint ballast=src/Ballast.Cli/bin/Release/net10.0/ballast ballastd=artifacts/native/ballastd
var runs = 21;
var idle = TimeSpan.FromSeconds(5);
var programs = new List<FootprintProbe>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs" when i + 1 < args.Length:
            runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--idle" when i + 1 < args.Length:
            idle = TimeSpan.FromSeconds(double.Parse(args[++i], CultureInfo.InvariantCulture));
            break;
        default:
            var equals = args[i].IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !File.Exists(args[i][(equals + 1)..]))
            {
                Console.Error.WriteLine($"footprint: expected NAME=PROGRAM (an existing file), got '{args[i]}'");
                return 2;
            }
            programs.Add(new FootprintProbe(args[i][..equals], Path.GetFullPath(args[i][(equals + 1)..])));
            break;
    }
}
if (programs.Count == 0)
{
    Console.Error.WriteLine("footprint: usage: footprint [--runs N] [--idle SECONDS] NAME=PROGRAM...");
    return 2;
}

static string Mib(long kib) => (kib / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
static string Ms(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);
static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start; "
    + $"serve with its supervisor, a 64 MiB simulated guest connected (memory table + rings set up), {idle.TotalSeconds:F0} s idle; {runs} runs of each timing");
Console.WriteLine();
Console.WriteLine("| program | process | RSS MiB | PSS MiB | RssAnon | RssFile | RssShmem | threads |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
var timings = new List<string>();
foreach (var probe in programs)
{
    var (processes, getTimes) = probe.IdleAndGet(idle, runs);
    foreach (var p in processes.Append(ProcessStatus.Sum(processes, "total")))
        Console.WriteLine($"| {probe.Name} | {p.Role} | {Mib(p.RssKiB)} | {Mib(p.PssKiB)} | {Mib(p.AnonKiB)} | {Mib(p.FileKiB)} | {Mib(p.ShmemKiB)} | {p.Threads} |");
    var start = probe.StartToListening(runs);
    timings.Add($"| {probe.Name} | {Ms(Median(start))} | {Ms(start.Min())}–{Ms(start.Max())} | {Ms(Median(getTimes))} | {Ms(getTimes.Min())}–{Ms(getTimes.Max())} |");
}
Console.WriteLine();
Console.WriteLine("| program | start-to-listening median ms | min–max | balloon get median ms | min–max |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var line in timings)
    Console.WriteLine(line);
return 0;

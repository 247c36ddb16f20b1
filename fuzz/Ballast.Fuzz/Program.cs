using Ballast.Fuzz;
using SharpFuzz;

const string Usage = """
    usage: Ballast.Fuzz TARGET                      serve afl-fuzz (SharpFuzz out-of-process fork server; input on stdin)
           Ballast.Fuzz TARGET --in-process         serve afl-fuzz in one process (faster; a hang or a fatal crash ends the run)
           Ballast.Fuzz TARGET --replay PATH...     run files, or every file in folders, without afl; exit 1 if any throws
           Ballast.Fuzz --write-seeds DIR           write every target's seed corpus to DIR/TARGET/
    targets: vhost-user, ring, balloon
    """;

if (args.Length == 2 && args[0] == "--write-seeds")
{
    Console.WriteLine($"wrote {FuzzTargets.WriteSeeds(args[1])} seeds to {args[1]}");
    return 0;
}
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine(Usage);
    return 2;
}
if (args.Length >= 2 && args[1] == "--replay")
    return Replay.Run(FuzzTargets.Create(args[0])!, args.Skip(2), Console.Out) == 0 ? 0 : 1;
if (args.Length > 2 || (args.Length == 2 && args[1] != "--in-process"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// Under afl-fuzz the assemblies under test are instrumented, and their code may run only once SharpFuzz has attached
// the coverage map — inside the action, never before it (and never in the out-of-process fork server, which only
// relays): the target is created on the first input.
// BALLAST_FUZZ_CRASH_LOG=FILE appends every finding's exception to FILE (afl-fuzz itself keeps only the input).
IFuzzTarget? target = null;
var buffer = new MemoryStream();
var crashLog = Environment.GetEnvironmentVariable("BALLAST_FUZZ_CRASH_LOG");
Action<Stream> run = stream =>
{
    buffer.SetLength(0);
    stream.CopyTo(buffer);
    try
    {
        target ??= FuzzTargets.Create(args[0])!;
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
    catch (Exception e) when (crashLog is not null)
    {
        File.AppendAllText(crashLog, $"--- {DateTime.UtcNow:O} input {Convert.ToHexString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, 64))}\n{e}\n");
        throw;
    }
};
if (args.Length == 2)
    Fuzzer.Run(run);
else
    Fuzzer.OutOfProcess.Run(run);
return 0;

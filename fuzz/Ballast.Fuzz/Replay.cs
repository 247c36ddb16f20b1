namespace Ballast.Fuzz;

/// <summary>
/// Runs inputs through a target without afl-fuzz (the <c>--replay</c> mode): a corpus, a crash afl saved, a seed
/// under test. Reports every input that throws, with the exception.
/// </summary>
internal static class Replay
{
    /// <summary>Every file named by <paramref name="paths"/> (files, or folders read non-recursively, in name order).</summary>
    public static IEnumerable<string> Files(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
                {
                    if (!Path.GetFileName(file).StartsWith('.'))
                        yield return file;
                }
            }
            else if (File.Exists(path))
            {
                yield return path;
            }
            else
            {
                throw new FileNotFoundException($"no such file or folder: {path}", path);
            }
        }
    }

    /// <summary>Runs each file; returns how many threw (each is printed to <paramref name="log"/>).</summary>
    public static int Run(IFuzzTarget target, IEnumerable<string> paths, TextWriter log)
    {
        int ran = 0, failed = 0;
        var clock = new System.Diagnostics.Stopwatch();
        foreach (var file in Files(paths))
        {
            ran++;
            var input = File.ReadAllBytes(file);
            try
            {
                clock.Start();
                target.Run(input);
                clock.Stop();
            }
            catch (Exception e)
            {
                clock.Stop();
                failed++;
                log.WriteLine($"FAILED {file}:");
                log.WriteLine(e);
            }
        }
        log.WriteLine($"replay {target.Name}: {ran} inputs, {failed} failed ({clock.Elapsed.TotalMilliseconds / Math.Max(ran, 1):F3} ms per input, JIT included)");
        return failed;
    }
}

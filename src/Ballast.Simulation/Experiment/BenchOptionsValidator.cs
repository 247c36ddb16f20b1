using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// Checks <see cref="BenchOptions"/> before anything is allocated, so that a bad request fails in
/// a moment with a clear message rather than minutes into a run or by exhausting the host.
/// </summary>
public static class BenchOptionsValidator
{
    /// <summary>The guest page size: the balloon inflates whole pages.</summary>
    public const long PageSize = GuestPage.Size;

    /// <summary>Guest memory comes in 4 MiB blocks (the simulated guest's allocation granule).</summary>
    public const long GuestMemGranule = 4 * SizeFormatter.MiB;

    /// <summary>Host memory the engine needs on top of guest memory (queues, bitmaps, the runtime).</summary>
    public const long HeadroomBytes = 1L << 30;

    /// <summary>
    /// Every problem with <paramref name="options"/>, each a complete sentence naming the option;
    /// empty when they can run.
    /// </summary>
    /// <param name="options">The options to check.</param>
    /// <param name="availableHostBytes">
    /// Host memory available (MemAvailable), or <see langword="null"/> if unknown — then that check is skipped.
    /// </param>
    public static IReadOnlyList<string> Validate(BenchOptions options, long? availableHostBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var guest = options.GuestMemBytes;
        var inflate = options.InflateBytes;

        if (guest <= 0)
            errors.Add($"--guest-mem must be greater than zero (got {guest} bytes).");
        else if (guest % GuestMemGranule != 0)
            errors.Add($"--guest-mem must be a multiple of 4 MiB (got {SizeFormatter.Format(guest)} = {guest} bytes).");

        if (inflate <= 0)
            errors.Add($"--inflate must be greater than zero (got {inflate} bytes).");
        else if (inflate % PageSize != 0)
            errors.Add($"--inflate must be a multiple of the 4096-byte page size (got {inflate} bytes).");

        if (guest > 0 && inflate > guest)
            errors.Add($"--inflate {SizeFormatter.Format(inflate)} is larger than --guest-mem {SizeFormatter.Format(guest)}: the balloon cannot take more than the guest has.");

        if (guest > 0 && availableHostBytes is { } available && guest > available - HeadroomBytes)
        {
            var needed = guest > long.MaxValue - HeadroomBytes ? long.MaxValue : guest + HeadroomBytes;
            errors.Add($"--guest-mem {SizeFormatter.Format(guest)} does not fit on this machine: the bench needs guest memory + "
                + $"{SizeFormatter.Format(HeadroomBytes)} headroom = {SizeFormatter.Format(needed)}, "
                + $"but only {SizeFormatter.Format(available)} is available (MemAvailable in /proc/meminfo).");
        }

        if (options.Modes.Count == 0)
            errors.Add("no mode to run: --mode must name at least one mode.");

        if (options.Repeat < 1)
            errors.Add($"--repeat must be at least 1 (got {options.Repeat}).");

        return errors;
    }
}

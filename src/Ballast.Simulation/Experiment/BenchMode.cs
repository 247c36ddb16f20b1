using System.Text.Json.Serialization;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// One configuration of the seed's experiment: which guest driver talks to which device behaviour.
/// The JSON and command-line names are the kebab-case names given by <see cref="BenchModes.Name"/>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BenchMode>))]
public enum BenchMode
{
    /// <summary>
    /// <c>pfn-per-page</c>: the Linux PFN driver (arrays of up to 256 page frame numbers) against a
    /// device that translates and releases each page on its own — the seed's baseline.
    /// </summary>
    [JsonStringEnumMemberName("pfn-per-page")]
    PfnPerPage,

    /// <summary>
    /// <c>pfn</c>: the Linux PFN driver against a device that coalesces adjacent PFNs into runs
    /// before translating and releasing them.
    /// </summary>
    [JsonStringEnumMemberName("pfn")]
    Pfn,

    /// <summary>
    /// <c>sg</c>: the seed itself — the guest records balloon pages in the xbitmap and sends each
    /// run of contiguous pages as one scatter-gather entry (VIRTIO_BALLOON_F_SG).
    /// </summary>
    [JsonStringEnumMemberName("sg")]
    Sg,

    /// <summary>
    /// <c>reporting</c>: not an inflate — free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING): a workload of the
    /// same size exits and the guest reports the freed memory until the host has it back
    /// (<see cref="ReportingExperiment"/>). Run by <c>--reporting</c>, after the modes.
    /// </summary>
    [JsonStringEnumMemberName("reporting")]
    Reporting,
}

using Ballast.Virtio.Queue;
using Microsoft.Extensions.Logging;

namespace Ballast.Balloon.Device;

/// <summary>
/// The balloon device's structured log messages (source-generated; event ids 300–399: 300–309 features and
/// notifications, 310–329 guest errors, 330–339 releases, 340–349 the crash record, 350–359 free page reporting). Guest errors are written only when
/// <see cref="BalloonDevice"/>'s rate limit lets them through, each as "guest error {Kind} (#{Count}): …".
/// </summary>
internal static partial class BalloonLog
{
    [LoggerMessage(300, LogLevel.Warning, "driver accepted features 0x{Unknown:x} that were not offered; ignored")]
    public static partial void FeaturesNotOffered(ILogger logger, ulong unknown);

    [LoggerMessage(301, LogLevel.Warning, "used-buffer notification failed: {Message}")]
    public static partial void NotifyFailed(ILogger logger, string message);

    [LoggerMessage(310, LogLevel.Warning, "guest error {Kind} (#{Count}): queue {Queue} is broken: {Reason}; the device needs reset")]
    public static partial void QueueBroken(ILogger logger, BalloonError kind, long count, int queue, string? reason);

    [LoggerMessage(311, LogLevel.Warning, "guest error {Kind} (#{Count}): {Queue} chain at head {Head} rejected: {Error}")]
    public static partial void BadChain(ILogger logger, BalloonError kind, long count, string queue, ushort head, ChainError error);

    [LoggerMessage(312, LogLevel.Warning, "guest error {Kind} (#{Count}): stats chain at head {Head} rejected: {Error}")]
    public static partial void BadStatsChain(ILogger logger, BalloonError kind, long count, ushort head, ChainError error);

    [LoggerMessage(313, LogLevel.Warning, "guest error {Kind} (#{Count}): PFN buffer at 0x{Address:x} length {Length} is not whole PFNs inside RAM, skipping")]
    public static partial void BadPfnBuffer(ILogger logger, BalloonError kind, long count, ulong address, uint length);

    [LoggerMessage(314, LogLevel.Warning, "guest error {Kind} (#{Count}): {Pfns} PFNs in buffer at 0x{Address:x} are not guest RAM, skipped")]
    public static partial void PfnOutOfRange(ILogger logger, BalloonError kind, long count, int pfns, ulong address);

    [LoggerMessage(315, LogLevel.Warning, "guest error {Kind} (#{Count}): SG range at 0x{Address:x} has length 0, skipping")]
    public static partial void SgZeroLength(ILogger logger, BalloonError kind, long count, ulong address);

    [LoggerMessage(316, LogLevel.Warning, "guest error {Kind} (#{Count}): SG range 0x{Address:x}+0x{Length:x} exceeds 4 GiB - 4 KiB, skipping")]
    public static partial void SgTooLong(ILogger logger, BalloonError kind, long count, ulong address, uint length);

    [LoggerMessage(317, LogLevel.Warning, "guest error {Kind} (#{Count}): SG range 0x{Address:x}+0x{Length:x} is not 4 KiB aligned, skipping")]
    public static partial void SgUnaligned(ILogger logger, BalloonError kind, long count, ulong address, uint length);

    [LoggerMessage(318, LogLevel.Warning, "guest error {Kind} (#{Count}): SG range 0x{Address:x}+0x{Length:x} is not entirely guest RAM, skipping")]
    public static partial void SgOutsideRam(ILogger logger, BalloonError kind, long count, ulong address, uint length);

    [LoggerMessage(319, LogLevel.Warning, "guest error {Kind} (#{Count}): {Frames} frames in buffer at 0x{Address:x} were already ballooned, not released again")]
    public static partial void DoubleInflate(ILogger logger, BalloonError kind, long count, long frames, ulong address);

    [LoggerMessage(320, LogLevel.Warning, "guest error {Kind} (#{Count}): {Frames} frames in buffer at 0x{Address:x} were not ballooned")]
    public static partial void DeflateNotBallooned(ILogger logger, BalloonError kind, long count, long frames, ulong address);

    [LoggerMessage(321, LogLevel.Warning, "guest error {Kind} (#{Count}): stats buffer of {Length} bytes is not whole 10-byte entries inside RAM (at most {Max} bytes, driver-readable)")]
    public static partial void BadStatsBuffer(ILogger logger, BalloonError kind, long count, int length, int max);

    [LoggerMessage(322, LogLevel.Warning, "guest error {Kind} (#{Count}): reported block 0x{Address:x}+0x{Length:x} is not whole 4 KiB pages of guest RAM, skipping")]
    public static partial void BadReportEntry(ILogger logger, BalloonError kind, long count, ulong address, uint length);

    [LoggerMessage(330, LogLevel.Error, "run at PFN 0x{Pfn:x} (+{Count}) no longer translates; not released")]
    public static partial void RunNoLongerTranslates(ILogger logger, ulong pfn, ulong count);

    [LoggerMessage(331, LogLevel.Error, "deferred release of guest 0x{Address:x}+0x{Length:x} failed")]
    public static partial void DeferredReleaseFailed(ILogger logger, ulong address, ulong length, Exception exception);

    [LoggerMessage(332, LogLevel.Error, "releasing guest 0x{Address:x}+0x{Length:x} failed: {Message}")]
    public static partial void ReleaseFailed(ILogger logger, ulong address, ulong length, string message);

    [LoggerMessage(340, LogLevel.Information, "resumed from the record: {Frames} ballooned frames, num_pages {NumPages}, actual {Actual}")]
    public static partial void RecordResumed(ILogger logger, ulong frames, uint numPages, uint actual);

    [LoggerMessage(341, LogLevel.Warning, "{Frames} recorded frames (the first at PFN 0x{Pfn:x}) are not guest RAM now; not released")]
    public static partial void RecordedOutsideRam(ILogger logger, ulong frames, ulong pfn);

    [LoggerMessage(342, LogLevel.Warning, "guest RAM ends at PFN 0x{EndPfn:x}, beyond the {Capacity} frames a record covers: frames ballooned above are not recorded, and a restarted worker forgets them")]
    public static partial void RecordCapped(ILogger logger, ulong endPfn, ulong capacity);

    [LoggerMessage(343, LogLevel.Error, "the record could not grow to {Frames} frames; frames ballooned beyond its {Capacity} are not recorded")]
    public static partial void RecordGrowFailed(ILogger logger, ulong frames, ulong capacity, Exception exception);

    [LoggerMessage(344, LogLevel.Information, "released {Bytes} bytes of recorded frames in {Runs} runs")]
    public static partial void RecordReleased(ILogger logger, long bytes, long runs);

    [LoggerMessage(345, LogLevel.Information, "resumed: every recorded frame released again ({Bytes} bytes), in case a deferred release was lost with the worker before")]
    public static partial void ResumeReleased(ILogger logger, long bytes);

    [LoggerMessage(346, LogLevel.Information, "resumed without MUST_TELL_HOST: recorded frames are not released wholesale (the driver may use a frame it is deflating); replayed inflate buffers release theirs")]
    public static partial void ResumeWithoutRelease(ILogger logger);

    [LoggerMessage(350, LogLevel.Information, "free page reporting: the guest poisons free pages (poison_val 0x{PoisonValue:x}); reported pages are not released, since a released page reads back as zeros (said once)")]
    public static partial void ReportsKeptForPoison(ILogger logger, uint poisonValue);

    [LoggerMessage(351, LogLevel.Information, "free page reporting: the driver adds reported blocks driver-readable (out), not device-writable as Linux does; accepted (said once)")]
    public static partial void ReportEntriesReadable(ILogger logger);

    [LoggerMessage(352, LogLevel.Debug, "driver wrote poison_val 0x{PoisonValue:x}")]
    public static partial void PoisonValueSet(ILogger logger, uint poisonValue);
}

using System.Text.Json.Nodes;

namespace Ballast.GuestBench;

/// <summary>
/// When the guest answered a balloon request, from the device's own record of it rather than from the poll that
/// noticed (polls come every <see cref="GuestBenchOptions.PollInterval"/>, so a polled time overshoots by up to one
/// interval): Ballast's <c>actual_written_unix_us</c>, or the <c>timestamp</c> of QEMU's <c>BALLOON_CHANGE</c> event
/// that carried the target (QMP stamps an event when it happens, even if rate limiting delivers it later). Both are the
/// host's wall clock, as is <see cref="NowUnixUs"/>, taken just before the request.
/// </summary>
public static class AnswerTime
{
    /// <summary>Now, in microseconds since the Unix epoch.</summary>
    public static long NowUnixUs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>
    /// Milliseconds from <paramref name="requestUnixUs"/> to <paramref name="answerUnixUs"/>, or
    /// <paramref name="polledMs"/> when the answer is not after the request (no record, or an older one) or later
    /// than the poll that saw it (clock trouble): the device's record only ever corrects the poll's overshoot.
    /// </summary>
    public static double Milliseconds(long requestUnixUs, long answerUnixUs, double polledMs)
    {
        var ms = (answerUnixUs - requestUnixUs) / 1000.0;
        return answerUnixUs > requestUnixUs && ms <= polledMs ? ms : polledMs;
    }

    /// <summary>
    /// The time of the last <c>BALLOON_CHANGE</c> event in <paramref name="events"/> whose <c>actual</c> is
    /// <paramref name="actual"/> (microseconds since the Unix epoch), or 0 if there is none.
    /// </summary>
    public static long LastBalloonChange(IEnumerable<JsonObject> events, long actual)
    {
        ArgumentNullException.ThrowIfNull(events);
        long last = 0;
        foreach (var e in events)
        {
            if ((string?)e["event"] != "BALLOON_CHANGE" || e["data"]?["actual"]?.GetValue<long>() != actual)
                continue;
            if (e["timestamp"] is JsonObject { } stamp && stamp["seconds"] is { } s && stamp["microseconds"] is { } us)
                last = Math.Max(last, s.GetValue<long>() * 1_000_000 + us.GetValue<long>());
        }
        return last;
    }
}

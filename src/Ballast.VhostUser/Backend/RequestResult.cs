namespace Ballast.VhostUser.Backend;

/// <summary>How a request went, and so what the connection sends back (vhost-user.rst "REPLY_ACK").</summary>
internal readonly record struct RequestResult(RequestOutcome Outcome, string? Error = null)
{
    /// <summary>Done; with NEED_REPLY the front-end gets u64 0.</summary>
    public static RequestResult Ok { get; } = new(RequestOutcome.Ok);

    /// <summary>The request's own reply was sent; NEED_REPLY adds nothing ("brings no behavioural change").</summary>
    public static RequestResult Replied { get; } = new(RequestOutcome.Replied);

    /// <summary>Refused: with NEED_REPLY the front-end gets a non-zero u64; without, it is dropped.</summary>
    public static RequestResult Fail(string error) => new(RequestOutcome.Failed, error);

    /// <summary>The conversation cannot go on (e.g. a request whose own reply cannot be given): drop the front-end.</summary>
    public static RequestResult Fatal(string error) => new(RequestOutcome.Fatal, error);
}

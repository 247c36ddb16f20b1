namespace Ballast.Daemon.Api;

/// <summary>The body of every 4xx answer: <c>{"error":"…"}</c>, a sentence for people.</summary>
public sealed record ApiError(string Error);

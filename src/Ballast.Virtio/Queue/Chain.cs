namespace Ballast.Virtio.Queue;

/// <summary>A popped descriptor chain: its head (to return in the used ring) and how many descriptors were read.</summary>
/// <param name="Head">The head descriptor index, returned as the used element's id.</param>
/// <param name="Count">Number of descriptors written to the caller's span (indirect tables expanded).</param>
/// <param name="Error">Why the chain is malformed, or <see cref="ChainError.None"/>.</param>
public readonly record struct Chain(ushort Head, int Count, ChainError Error);

using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Session;

/// <summary>
/// A reply the back-end owes the front-end. The request it answers was handled and its effect kept; then the request
/// is taken off the socket and the reply sent, and only then is the reply marked sent in the record
/// (<see cref="SessionRecord.MarkReplied"/>). A process killed in between leaves this in the record, and the next
/// process settles it: it sends the reply unless the front-end has visibly moved on. A front-end that asked for a reply
/// waits for it (QEMU blocks in <c>vhost_user_read</c>), so without this a killed worker either leaves it waiting for
/// ever or, if the request is handled again, answers twice — and every reply after that pairs with the wrong request.
/// </summary>
/// <param name="Sequence">Counts the replies of the session; the record's replied mark is compared with it.</param>
/// <param name="RequestDigest">FNV-1a of the request's header and payload (<see cref="Digest"/>): tells whether the
/// request is still at the head of the socket.</param>
/// <param name="Reply">The whole reply message: header and payload.</param>
internal sealed record OwedReply(ulong Sequence, ulong RequestDigest, byte[] Reply)
{
    /// <summary>The largest reply a back-end sends: GET_CONFIG's, a header and the largest payload.</summary>
    public const int MaxReplySize = MessageHeader.WireSize + VhostUserMessage.MaxPayloadSize;

    /// <summary>FNV-1a (64-bit) over a request's header fields and payload.</summary>
    public static ulong Digest(in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[MessageHeader.WireSize];
        header.Write(head);
        var hash = 14695981039346656037UL;
        foreach (var b in head)
            hash = (hash ^ b) * 1099511628211UL;
        foreach (var b in payload)
            hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}

using Ballast.Balloon.Device;
using Ballast.VhostUser.Protocol;
using Ballast.Virtio;

namespace Ballast.Fuzz.VhostUser;

/// <summary>
/// What the backend may send back for one request (vhost-user.rst "Communication" and "REPLY_ACK"): requests that
/// have a reply of their own get exactly that one; any other request gets one u64 status iff it set NEED_REPLY;
/// every reply has flags 0x5 (version 1 | reply) and repeats the request code. When the request ended the session,
/// at most one reply may have gone out before.
/// </summary>
internal static class ReplyCheck
{
    /// <summary>GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_VRING_BASE, GET_CONFIG: replies of their own.</summary>
    public static bool HasOwnReply(uint request) => (FrontendRequest)request is FrontendRequest.GetFeatures
        or FrontendRequest.GetProtocolFeatures or FrontendRequest.GetQueueNum or FrontendRequest.GetVringBase
        or FrontendRequest.GetConfig;

    public static void Check(in MessageHeader request, int fdCount, string? ended, List<ReplySink.Reply> replies, BalloonDevice device)
    {
        var name = VhostUserTarget.Describe(request);
        var expected = HasOwnReply(request.Request) || request.NeedsReply ? 1 : 0;
        if (ended is null && replies.Count != expected)
            throw new InvariantViolationException($"{name} (flags 0x{request.Flags:x}) got {replies.Count} replies; {expected} expected");
        if (ended is not null && replies.Count > 1)
            throw new InvariantViolationException($"{name} ended the session ({ended}) after {replies.Count} replies");
        foreach (var reply in replies)
            CheckOne(request, name, fdCount, reply, device);
    }

    private static void CheckOne(in MessageHeader request, string name, int fdCount, in ReplySink.Reply reply, BalloonDevice device)
    {
        if (reply.Header.Flags != HeaderFlags.ReplyFlags)
            throw new InvariantViolationException($"reply to {name} has flags 0x{reply.Header.Flags:x}; QEMU accepts only 0x5");
        if (reply.Header.Request != request.Request)
            throw new InvariantViolationException($"reply to {name} names request {reply.Header.Request}");
        var length = reply.Payload.Length;
        // A request refused for descriptors it does not take gets a u64 status whatever its own reply would be.
        var refusedForFds = fdCount > 0 && length == VhostUserMessage.U64Size;
        switch ((FrontendRequest)request.Request)
        {
            case FrontendRequest.GetConfig:
                // "vhost-user back-end's payload size MUST match the front-end's request ... zero length ... to indicate an error"
                if (length != 0 && length != request.PayloadSize && !refusedForFds)
                    throw new InvariantViolationException($"GET_CONFIG of {request.PayloadSize} bytes got a {length}-byte reply");
                return;
            case FrontendRequest.GetFeatures when !refusedForFds:
                ExpectU64(name, reply);
                var offered = device.OfferedFeatures | VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit);
                if ((ReplySink.U64(reply) & ~offered) != 0)
                    throw new InvariantViolationException($"GET_FEATURES reported 0x{ReplySink.U64(reply):x}; the device offers 0x{offered:x}");
                return;
            case FrontendRequest.GetProtocolFeatures when !refusedForFds:
                ExpectU64(name, reply);
                if (ReplySink.U64(reply) != ProtocolFeatures.BackendOffered)
                    throw new InvariantViolationException($"GET_PROTOCOL_FEATURES reported 0x{ReplySink.U64(reply):x}");
                return;
            case FrontendRequest.GetQueueNum when !refusedForFds:
                ExpectU64(name, reply);
                if (ReplySink.U64(reply) != (ulong)device.QueueCount)
                    throw new InvariantViolationException($"GET_QUEUE_NUM reported {ReplySink.U64(reply)}; the device has {device.QueueCount} queues");
                return;
            case FrontendRequest.GetVringBase:
                ExpectU64(name, reply); // vring state {index, num}: 8 bytes as well
                return;
            default:
                ExpectU64(name, reply);
                if (!HasOwnReply(request.Request) && ReplySink.U64(reply) > 1)
                    throw new InvariantViolationException($"REPLY_ACK status for {name} is {ReplySink.U64(reply)}; Ballast sends 0 or 1");
                return;
        }
    }

    private static void ExpectU64(string name, in ReplySink.Reply reply)
    {
        if (reply.Payload.Length != VhostUserMessage.U64Size || reply.Header.PayloadSize != VhostUserMessage.U64Size)
            throw new InvariantViolationException($"reply to {name} has {reply.Payload.Length} bytes; 8 expected");
    }
}

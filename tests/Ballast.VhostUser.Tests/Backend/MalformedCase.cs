using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>A hostile message and what the server must do about it.</summary>
/// <param name="Name">The test case name.</param>
/// <param name="Request">The request whose reply is expected (for <see cref="Expect.ErrorReply"/>).</param>
/// <param name="Preparation">What the client sets up first.</param>
/// <param name="Expected">What must come back.</param>
/// <param name="Send">Writes the message.</param>
internal sealed record MalformedCase(string Name, FrontendRequest Request, MalformedCase.Setup Preparation, MalformedCase.Expect Expected,
    Action<RawClient, CaseContext> Send)
{
    /// <summary>What the client does before the hostile message.</summary>
    public enum Setup
    {
        None,
        Memory,
        MemoryAndQueueSize,
    }

    /// <summary>The server's answer.</summary>
    public enum Expect
    {
        /// <summary>A REPLY_ACK with a non-zero status; the session goes on.</summary>
        ErrorReply,

        /// <summary>GET_CONFIG's own error: a reply with an empty payload; the session goes on.</summary>
        EmptyConfigReply,

        /// <summary>The server closes the connection (with a log line).</summary>
        Disconnect,
    }

    public override string ToString() => Name;
}


namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Thrown by a <see cref="SkippableFactAttribute"/> test to end as skipped, with the message as the reason. Used only
/// for a failure whose cause is known and outside this project (a named QEMU bug), so that it shows as
/// "skipped: &lt;reason&gt;" rather than as green.
/// </summary>
public sealed class SkipException : Exception
{
    /// <summary>A skip with no reason.</summary>
    public SkipException()
    {
    }

    /// <summary>A skip because of <paramref name="reason"/>.</summary>
    public SkipException(string reason)
        : base(reason)
    {
    }

    /// <summary>A skip because of <paramref name="reason"/>, which <paramref name="inner"/> shows.</summary>
    public SkipException(string reason, Exception inner)
        : base(reason, inner)
    {
    }
}

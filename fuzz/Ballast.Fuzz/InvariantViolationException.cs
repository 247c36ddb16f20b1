namespace Ballast.Fuzz;

/// <summary>A harness check failed: the code under test did not throw, but did something it must not.</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

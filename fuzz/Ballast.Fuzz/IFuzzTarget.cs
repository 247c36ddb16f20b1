namespace Ballast.Fuzz;

/// <summary>
/// One fuzz target: turns an input into calls on the code under test and checks what must hold afterwards. Any
/// exception that escapes <see cref="Run"/> is a finding (afl-fuzz records the input as a crash): an exception
/// from the code under test, or an <see cref="InvariantViolationException"/> from the target's own checks.
/// </summary>
/// <remarks>
/// A target is created once per process and runs many inputs in a row (afl's persistent loop), so it keeps
/// expensive resources (guest RAM, descriptor pools) and resets them cheaply between inputs; every input must
/// behave the same whatever ran before it.
/// </remarks>
internal interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder (<c>fuzz/corpus/NAME</c>).</summary>
    string Name { get; }

    /// <summary>Runs one input.</summary>
    void Run(ReadOnlySpan<byte> input);
}

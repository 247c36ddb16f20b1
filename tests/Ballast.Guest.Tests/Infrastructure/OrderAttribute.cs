
namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>The position of a test among those of its class that share one guest (<see cref="OrderedTests"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrderAttribute(int position) : Attribute
{
    /// <summary>Lower runs first.</summary>
    public int Position { get; } = position;
}

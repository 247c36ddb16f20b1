
namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Every test that boots a guest: one collection, so they run one after another (each guest is a single TCG vCPU
/// that wants a core of its own, and timings mean nothing when guests compete) and share one
/// <see cref="GuestFixture"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GuestCollection : ICollectionFixture<GuestFixture>
{
    /// <summary>The collection's name for <c>[Collection]</c>.</summary>
    public const string Name = "real guests";
}

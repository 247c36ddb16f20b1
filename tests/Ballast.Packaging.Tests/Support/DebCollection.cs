namespace Ballast.Packaging.Tests.Support;

/// <summary>The .deb test classes share one <see cref="DebPackage"/> (built once) and run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class DebCollection : ICollectionFixture<DebPackage>
{
    public const string Name = "deb";
}

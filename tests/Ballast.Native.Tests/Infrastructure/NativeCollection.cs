namespace Ballast.Native.Tests.Infrastructure;

/// <summary>The tests that share one <see cref="NativeBinaryFixture"/> (one run of the build script).</summary>
[CollectionDefinition(Name)]
public sealed class NativeCollection : ICollectionFixture<NativeBinaryFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "native ballastd";
}

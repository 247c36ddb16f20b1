using Ballast.Virtio.Memory;

namespace Ballast.Virtio.Tests.Support;

/// <summary>Class fixture: <see cref="TestLayouts.MultiRegion"/> mapped once per test class.</summary>
public sealed class MultiRegionMemory : IDisposable
{
    public GuestMemory Memory { get; } = GuestMemory.CreateMemfd(TestLayouts.MultiRegion, "ballast-multiregion");

    public void Dispose() => Memory.Dispose();
}

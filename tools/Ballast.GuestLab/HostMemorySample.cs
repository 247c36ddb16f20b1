namespace Ballast.GuestLab;

/// <summary>One reading of the host memory behind guest RAM (<see cref="QemuGuest.HostMemoryBytes"/>).</summary>
/// <param name="Ms">Milliseconds since the watch started (the host's clock).</param>
/// <param name="Bytes">Bytes allocated to guest RAM then.</param>
public readonly record struct HostMemorySample(double Ms, long Bytes);

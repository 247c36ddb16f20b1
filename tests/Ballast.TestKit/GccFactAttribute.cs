

namespace Ballast.TestKit;

/// <summary>A fact that compiles C against the Linux uapi headers: skipped when gcc or the headers are missing.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    private static readonly string[] Headers = ["/usr/include/linux/virtio_ring.h", "/usr/include/linux/vhost_types.h"];

    public GccFactAttribute()
    {
        if (Array.Find(Headers, h => !CProgram.Available(h)) is { } missing)
            Skip = $"gcc or {missing} not found";
    }
}

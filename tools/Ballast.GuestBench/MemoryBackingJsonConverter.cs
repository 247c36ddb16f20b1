using System.Text.Json;
using System.Text.Json.Serialization;
using Ballast.GuestLab;
using Ballast.Virtio.Memory;

namespace Ballast.GuestBench;

/// <summary>A <see cref="MemoryBacking"/> in guest-bench's JSON: its name, <c>4k</c>, <c>thp</c> or <c>hugetlb</c> (<see cref="GuestRamBackings.Name"/>).</summary>
public sealed class MemoryBackingJsonConverter : JsonConverter<MemoryBacking>
{
    /// <inheritdoc/>
    public override MemoryBacking Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        GuestRamBackings.TryParse(reader.GetString(), out var backing) ? backing : throw new JsonException($"unknown backing {reader.GetString()}");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, MemoryBacking value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(GuestRamBackings.Name(value));
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using Ballast.Daemon.Api;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve --print-capabilities</c>: QEMU's docs/interop/vhost-user.rst, "Backend program conventions":
/// "Output to stdout the backend capabilities in JSON format, and then exit successfully. Other options and arguments
/// should be ignored, and the backend program should not perform its normal function."
/// </summary>
/// <remarks>
/// <code>{"type":"balloon","features":["must-tell-host","stats","deflate-on-oom","page-poison","page-reporting","sg"]}</code>
/// <c>type</c> is <c>balloon</c>, a VHostUserBackendType of QEMU's docs/interop/vhost-user.json. The schema defines no
/// feature list for balloon back-ends (only for input and gpu, where each entry names a command-line option), so
/// Ballast defines its own: every balloon feature this program can offer the guest, by the names <c>--features</c>
/// takes (<see cref="BalloonFeatureNames.All"/>). What is offered by default is <see cref="ServeFeatureList.Default"/>.
/// Written with <see cref="Utf8JsonWriter"/>: no reflection, NativeAOT-safe.
/// </remarks>
public static class ServeCapabilities
{
    /// <summary>The backend type (QEMU's VHostUserBackendType).</summary>
    public const string BackendType = "balloon";

    /// <summary>The capabilities as one line of JSON (no trailing newline).</summary>
    public static string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("type", BackendType);
            json.WriteStartArray("features");
            foreach (var feature in BalloonFeatureNames.All)
                json.WriteStringValue(feature);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

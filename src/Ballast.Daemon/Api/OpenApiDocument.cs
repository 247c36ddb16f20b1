namespace Ballast.Daemon.Api;

/// <summary>
/// The management API's OpenAPI 3.1 document, <c>GET /openapi.json</c>: <c>docs/openapi.json</c> of the repository,
/// embedded in the daemon at build time and served byte for byte. Written by hand (the endpoints take
/// <c>HttpContext</c> and read their bodies themselves, so there is nothing to infer it from); tests hold it to the
/// mapped routes and to the JSON contract (<see cref="ApiJsonContext"/>).
/// </summary>
public static class OpenApiDocument
{
    /// <summary>The manifest resource name of the embedded document.</summary>
    public const string ResourceName = "Ballast.Daemon.openapi.json";

    /// <summary>Its content type.</summary>
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly Lazy<byte[]> s_bytes = new(Load);

    /// <summary>The document's UTF-8 bytes.</summary>
    public static ReadOnlyMemory<byte> Utf8 => s_bytes.Value;

    private static byte[] Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the daemon was built without its OpenAPI document ({ResourceName})");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ballast.Daemon.Api;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests.Api;

/// <summary>
/// <c>GET /openapi.json</c> and <c>docs/openapi.json</c>: the served document is the checked-in one, it names every
/// mapped route and nothing else, and every body's schema has exactly the members the JSON contract writes and reads.
/// </summary>
public class OpenApiDocumentTests
{
    private static readonly string s_checkedIn = RepositoryRoot.File("docs/openapi.json");

    [Fact]
    public async Task Served_IsTheCheckedInDocument()
    {
        await using var rig = await ApiRig.StartAsync();

        using var response = await rig.Http.GetAsync("/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(s_checkedIn), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task EveryMappedRoute_IsInTheDocument_AndEveryDocumentedOperationIsMapped()
    {
        await using var rig = await ApiRig.StartAsync();
        using var document = ReadDocument();

        var mapped = rig.Api.MappedRoutes().Select(route => $"{route.Method} {route.Pattern}").Order().ToList();
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order().ToList();

        Assert.NotEmpty(mapped);
        Assert.Equal(mapped, documented);
    }

    public static TheoryData<string, string> BodySchemas => new()
    {
        { "BalloonState", nameof(ApiJsonContext.BalloonState) },
        { "TargetRequest", nameof(ApiJsonContext.TargetRequest) },
        { "BalloonMergePatch", nameof(ApiJsonContext.TargetRequest) },
        { "StatisticsReport", nameof(ApiJsonContext.StatisticsReport) },
        { "PollingIntervalRequest", nameof(ApiJsonContext.PollingIntervalRequest) },
        { "ApiError", nameof(ApiJsonContext.ApiError) },
    };

    [Theory]
    [MemberData(nameof(BodySchemas))]
    public void Schema_HasExactlyTheMembersOfTheJsonContract(string schema, string typeInfo)
    {
        using var document = ReadDocument();
        var info = (JsonTypeInfo)typeof(ApiJsonContext).GetProperty(typeInfo)!.GetValue(ApiJsonContext.Default)!;

        var properties = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties");

        Assert.Equal(info.Properties.Select(p => p.Name).Order(), properties.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void EveryBodyAndAnswer_NamesASchemaTheDocumentHas()
    {
        using var document = ReadDocument();
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(s => s.Name).ToHashSet();
        var refs = new List<string>();
        Collect(document.RootElement.GetProperty("paths"), refs);

        Assert.NotEmpty(refs);
        Assert.All(refs, reference => Assert.Contains(reference["#/components/schemas/".Length..], schemas));
        // Every schema is used by some operation.
        Assert.Equal(schemas.Order(), refs.Select(r => r["#/components/schemas/".Length..]).Distinct().Order());
    }

    private static JsonDocument ReadDocument() => JsonDocument.Parse(File.ReadAllBytes(s_checkedIn));

    private static void Collect(JsonElement element, List<string> refs)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "$ref")
                        refs.Add(property.Value.GetString()!);
                    else
                        Collect(property.Value, refs);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    Collect(item, refs);
                break;
        }
    }
}

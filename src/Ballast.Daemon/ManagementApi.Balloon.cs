using System.Globalization;
using System.Text.Json;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Ballast.Virtio.Units;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ballast.Daemon;

/// <summary>
/// <c>/balloon</c>: <c>GET</c> (with a long-poll, <c>?wait=S</c>), <c>PUT</c> and <c>PATCH</c> (a JSON merge patch).
/// </summary>
public sealed partial class ManagementApi
{
    private const string MergePatchExample = "{\"target_bytes\":1073741824}";

    /// <summary>
    /// <c>GET /balloon</c>, with a weak ETag (<see cref="BalloonChanges.Version"/>). With <c>If-None-Match</c> naming the
    /// current ETag: 304. With <c>?wait=S</c> as well: waits up to S seconds for the next change (a new target, actual
    /// written, the deferred releases done) and answers 200 with the changed balloon, or 304 when S ran out. With
    /// <c>?wait=S</c> and no <c>If-None-Match</c>: waits for the next change after the request.
    /// </summary>
    private async Task GetBalloonAsync(HttpContext context)
    {
        var request = context.Request;
        var version = _changes.Version;
        TimeSpan? wait = null;
        if (request.Query.TryGetValue(ApiRoutes.WaitParameter, out var waitText))
        {
            if (ParseWait(waitText) is not { } seconds)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                    $"wait must be a number of seconds above 0 and at most {ApiRoutes.MaxWaitSeconds} (e.g. ?wait=30 or ?wait=0.5); got '{waitText}'")
                    .ConfigureAwait(false);
                return;
            }
            wait = TimeSpan.FromSeconds(seconds);
        }
        long? seen = request.Headers.IfNoneMatch.Count > 0 ? ParseETag(request.Headers.IfNoneMatch) : null;
        if (wait is { } timeout && (seen is null || seen == version))
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _app.Lifetime.ApplicationStopping);
            try
            {
                await _changes.WaitForChangeAsync(seen ?? version, timeout, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "ballast serve is stopping").ConfigureAwait(false);
                return;
            }
            version = _changes.Version;
        }
        context.Response.Headers.ETag = FormatETag(version);
        if (seen == version)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await WriteJsonAsync(context, StatusCodes.Status200OK, CurrentState(), ApiJsonContext.Default.BalloonState).ConfigureAwait(false);
    }

    private async Task PutBalloonAsync(HttpContext context)
    {
        var (ok, request) = await TryReadJsonAsync(context, ApiJsonContext.Default.TargetRequest, TargetExample).ConfigureAwait(false);
        if (!ok)
            return;
        if (request?.TargetBytes is not { } target)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"the body needs target_bytes, e.g. {TargetExample}").ConfigureAwait(false);
            return;
        }
        if (await TrySetTargetAsync(context, target).ConfigureAwait(false))
            context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// <c>PATCH /balloon</c>: a JSON merge patch (RFC 7396, <c>application/merge-patch+json</c>) of the balloon. Its
    /// one writable member is <c>target_bytes</c>; <c>{}</c> changes nothing. Answers 200 with the balloon after the
    /// patch; 415 for another content type; 400 for a read-only or unknown member, a null target_bytes (it cannot be
    /// removed) or a bad target; 409 with no guest.
    /// </summary>
    private async Task PatchBalloonAsync(HttpContext context)
    {
        if (!IsMergePatch(context.Request.ContentType))
        {
            var given = string.IsNullOrEmpty(context.Request.ContentType) ? "no Content-Type" : $"Content-Type {context.Request.ContentType}";
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"PATCH {ApiRoutes.Balloon} takes a JSON merge patch ({ApiRoutes.MergePatchContentType}, RFC 7396), e.g. {MergePatchExample}; got {given}")
                .ConfigureAwait(false);
            return;
        }
        var body = await TryReadBodyAsync(context, MergePatchExample).ConfigureAwait(false);
        if (body is null)
            return;
        long? target = null;
        try
        {
            using var patch = JsonDocument.Parse(body.WrittenMemory);
            if (patch.RootElement.ValueKind != JsonValueKind.Object)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                    $"a merge patch of {ApiRoutes.Balloon} is a JSON object, e.g. {MergePatchExample}").ConfigureAwait(false);
                return;
            }
            foreach (var member in patch.RootElement.EnumerateObject())
            {
                if (PatchMemberError(member, out var value) is { } error)
                {
                    await WriteErrorAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
                    return;
                }
                target = value;
            }
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"{DescribeJsonError(ex)}; send e.g. {MergePatchExample}").ConfigureAwait(false);
            return;
        }
        if (target is { } bytes && !await TrySetTargetAsync(context, bytes).ConfigureAwait(false))
            return;
        context.Response.Headers.ETag = FormatETag(_changes.Version);
        await WriteJsonAsync(context, StatusCodes.Status200OK, CurrentState(), ApiJsonContext.Default.BalloonState).ConfigureAwait(false);
    }

    /// <summary>Why <paramref name="member"/> cannot be in a merge patch of the balloon, or null (and its target).</summary>
    private static string? PatchMemberError(JsonProperty member, out long? target)
    {
        target = null;
        if (member.Name != ApiRoutes.TargetBytesMember)
        {
            var readOnly = ApiJsonContext.Default.BalloonState.Properties.Any(p => p.Name == member.Name);
            return readOnly
                ? $"{member.Name} is read-only: PATCH {ApiRoutes.Balloon} changes {ApiRoutes.TargetBytesMember} only"
                : $"unknown member {member.Name}: PATCH {ApiRoutes.Balloon} changes {ApiRoutes.TargetBytesMember} only, e.g. {MergePatchExample}";
        }
        if (member.Value.ValueKind == JsonValueKind.Null)
            return $"{ApiRoutes.TargetBytesMember} cannot be removed (null): set it to 0 to deflate the balloon";
        if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt64(out var bytes))
            return $"{ApiRoutes.TargetBytesMember} must be a whole number of bytes";
        target = bytes;
        return null;
    }

    /// <summary>Sets the target as <c>PUT</c> and <c>PATCH</c> do; on a refusal answers 400 or 409 itself and returns false.</summary>
    private async Task<bool> TrySetTargetAsync(HttpContext context, long target)
    {
        if (BalloonTarget.CheckBytes(target) is { } invalid)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, invalid).ConfigureAwait(false);
            return false;
        }
        if (!_backend.IsConnected)
        {
            await WriteErrorAsync(context, StatusCodes.Status409Conflict,
                "no guest is connected: a target can be set once QEMU has connected to the vhost-user socket").ConfigureAwait(false);
            return false;
        }
        if (BalloonTarget.CheckFits(target, _backend.GuestRamBytes) is { } tooLarge)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, tooLarge).ConfigureAwait(false);
            return false;
        }
        var pages = BalloonTarget.Pages(target);
        _device.SetTargetPages((uint)pages);
        DaemonLog.TargetSet(_logger, SizeFormatter.Format(target), pages);
        return true;
    }

    private static bool IsMergePatch(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
            return false;
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return string.Equals(mediaType, ApiRoutes.MergePatchContentType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Seconds from <c>?wait=</c>: above 0, at most <see cref="ApiRoutes.MaxWaitSeconds"/>; null otherwise.</summary>
    internal static double? ParseWait(StringValues text) =>
        text.Count == 1 && double.TryParse(text[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && seconds > 0 && seconds <= ApiRoutes.MaxWaitSeconds
            ? seconds
            : null;

    /// <summary>The version an <c>If-None-Match</c> names (<c>W/"N"</c> or <c>"N"</c>); -1 for <c>*</c> or anything else (never current).</summary>
    internal static long ParseETag(StringValues values)
    {
        var text = values.ToString().Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
            text = text[2..];
        return text.Length > 2 && text[0] == '"' && text[^1] == '"'
            && long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : -1;
    }

    /// <summary>The weak ETag for <paramref name="version"/>: <c>W/"N"</c>.</summary>
    internal static string FormatETag(long version) => string.Create(CultureInfo.InvariantCulture, $"W/\"{version}\"");
}

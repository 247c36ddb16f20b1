using Ballast.Fuzz.Input;
using Ballast.VhostUser.Protocol;

namespace Ballast.Fuzz.VhostUser;

/// <summary>Writes a <c>vhost-user</c> input (see <see cref="VhostUserTarget"/>): seeds and tests read like a front-end's session.</summary>
internal sealed class VhostUserScript
{
    private readonly InputWriter _w = new();

    public VhostUserScript(byte options) => _w.U8(options);

    /// <summary>A request with <paramref name="payload"/> and descriptors from pool entries <paramref name="fds"/>.</summary>
    public VhostUserScript Message(FrontendRequest request, ReadOnlySpan<byte> payload, bool needReply = false, params int[] fds)
    {
        _w.U8(fds.Length);
        foreach (var fd in fds)
            _w.U8(fd);
        Span<byte> head = stackalloc byte[MessageHeader.WireSize];
        MessageHeader.ForRequest((uint)request, (uint)payload.Length, needReply).Write(head);
        _w.Bytes(head).Bytes(payload);
        return this;
    }

    /// <summary>A raw header (any flags, any size) followed by <paramref name="payload"/> as given.</summary>
    public VhostUserScript Raw(uint request, uint flags, uint size, ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[MessageHeader.WireSize];
        new MessageHeader(request, flags, size).Write(head);
        _w.U8(0).Bytes(head).Bytes(payload);
        return this;
    }

    public VhostUserScript Empty(FrontendRequest request, bool needReply = false) => Message(request, [], needReply);

    public VhostUserScript U64(FrontendRequest request, ulong value, bool needReply = false, params int[] fds)
    {
        Span<byte> p = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(p, value);
        return Message(request, p, needReply, fds);
    }

    public VhostUserScript State(FrontendRequest request, uint index, uint num, bool needReply = false)
    {
        Span<byte> p = stackalloc byte[VringState.WireSize];
        new VringState(index, num).Write(p);
        return Message(request, p, needReply);
    }

    public VhostUserScript VringAddr(uint index, ulong descUser, ulong availUser, ulong usedUser, bool needReply = false)
    {
        Span<byte> p = stackalloc byte[VringAddress.WireSize];
        new VringAddress(index, 0, descUser, usedUser, availUser, 0).Write(p);
        return Message(FrontendRequest.SetVringAddr, p, needReply);
    }

    public VhostUserScript VringFile(FrontendRequest request, uint index, int? fd)
    {
        var value = new VringFile(index, fd is null).Encode();
        return fd is null ? U64(request, value) : U64(request, value, false, fd.Value);
    }

    public VhostUserScript MemTable(bool needReply, params (MemoryRegionDescription Region, int Fd)[] regions)
    {
        var p = new byte[MemoryTable.WireSize(regions.Length)];
        MemoryTable.Write(p, [.. regions.Select(r => r.Region)]);
        return Message(FrontendRequest.SetMemTable, p, needReply, [.. regions.Select(r => r.Fd)]);
    }

    public VhostUserScript Config(FrontendRequest request, uint offset, ReadOnlySpan<byte> data, bool needReply = false)
    {
        var p = new byte[ConfigSpace.WireSize(data.Length)];
        new ConfigSpace(offset, (uint)data.Length, ConfigSpace.FlagFrontend).Write(p);
        data.CopyTo(p.AsSpan(ConfigSpace.PayloadOffset));
        return Message(request, p, needReply);
    }

    public VhostUserScript Kick(int ring)
    {
        _w.U8(0x80 | ring);
        return this;
    }

    /// <summary>Writes <paramref name="bytes"/> into the RAM memfd at <paramref name="offset"/> (guest RAM as the front-end mapped it).</summary>
    public VhostUserScript Write(uint offset, ReadOnlySpan<byte> bytes)
    {
        _w.U8(0x90).U32(offset).U16(bytes.Length).Bytes(bytes);
        return this;
    }

    public VhostUserScript SetTarget(uint pages)
    {
        _w.U8(0xA0).U32(pages);
        return this;
    }

    public VhostUserScript RequestStatistics()
    {
        _w.U8(0xB0);
        return this;
    }

    public VhostUserScript ConfigChange(ReadOnlySpan<byte> answer)
    {
        _w.U8(0xC0).U8(answer.Length).Bytes(answer);
        return this;
    }

    public byte[] ToArray() => _w.ToArray();
}

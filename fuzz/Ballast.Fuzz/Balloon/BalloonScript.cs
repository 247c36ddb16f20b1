using Ballast.Fuzz.Input;

namespace Ballast.Fuzz.Balloon;

/// <summary>Writes a <c>balloon</c> input (see <see cref="BalloonTarget"/>).</summary>
internal sealed class BalloonScript
{
    public const byte Sg = 0x01, PerPage = 0x02, Defer = 0x04, EventIdx = 0x08, Indirect = 0x10, NoStats = 0x20;

    /// <summary>Mode bits for queue size 16, 64, 128 or 4.</summary>
    public static byte Size(int size) => size switch { 16 => 0x00, 64 => 0x40, 128 => 0x80, 4 => 0xc0, _ => throw new ArgumentOutOfRangeException(nameof(size)) };

    private readonly InputWriter _w = new();

    public BalloonScript(int mode) => _w.U8(mode);

    /// <summary>One chain on <paramref name="queue"/>; each part is a buffer (byte[] contents) or a raw (address, length) pair.</summary>
    public BalloonScript Buffer(int queue, bool indirect, bool kick, bool writable, params object[] parts)
    {
        if (parts.Length is 0 or > 8)
            throw new ArgumentOutOfRangeException(nameof(parts));
        _w.U8(queue | ((parts.Length - 1) << 2) | (indirect ? 0x20 : 0) | (kick ? 0 : 0x40) | (writable ? 0x80 : 0));
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] bytes:
                    _w.U8(0).U16(bytes.Length).Bytes(bytes);
                    break;
                case (ulong address, uint length):
                    _w.U8(1).U64(address).U32(length);
                    break;
                default:
                    throw new ArgumentException($"unknown part {part}", nameof(parts));
            }
        }
        return this;
    }

    public BalloonScript Buffer(int queue, params object[] parts) => Buffer(queue, false, true, false, parts);

    public BalloonScript Control(int sub)
    {
        _w.U8(3 | (sub << 2));
        return this;
    }

    public BalloonScript RequestStatistics() => Control(0);

    /// <summary>A free page report on queue 3 (the reporting queue with stats): blocks as (address, length), device-writable.</summary>
    public BalloonScript Report(params object[] parts)
    {
        Control(6);
        return Buffer(3, false, true, true, parts);
    }

    public BalloonScript SetTarget(uint pages)
    {
        Control(1);
        _w.U32(pages);
        return this;
    }

    public BalloonScript WriteConfig(byte offset, params byte[] bytes)
    {
        Control(2);
        _w.U8(offset).U8(bytes.Length).Bytes(bytes);
        return this;
    }

    public BalloonScript Reset() => Control(3);

    public BalloonScript KickAll() => Control(4);

    public BalloonScript AvailIdx(int queue, ushort idx)
    {
        Control(5);
        _w.U8(queue).U16(idx);
        return this;
    }

    public byte[] ToArray() => _w.ToArray();
}

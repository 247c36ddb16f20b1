using System.Text;

namespace Ballast.TestKit;

/// <summary>A string writer that one thread may write while another reads <see cref="ToString"/>.</summary>
internal sealed class LockedStringWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_lock)
            _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_lock)
            _text.Append(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
            _text.Append(buffer, index, count);
    }

    public override string ToString()
    {
        lock (_lock)
            return _text.ToString();
    }
}

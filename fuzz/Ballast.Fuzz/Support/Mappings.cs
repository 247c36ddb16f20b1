using System.Text;

namespace Ballast.Fuzz.Support;

/// <summary>Counts this process's memory mappings of a named memfd (/proc/self/maps shows them as "/memfd:NAME (deleted)").</summary>
internal static class Mappings
{
    public static int Count(string memfdName)
    {
        var needle = Encoding.ASCII.GetBytes("/memfd:" + memfdName + " ");
        ReadOnlySpan<byte> maps = File.ReadAllBytes("/proc/self/maps");
        var count = 0;
        for (var at = maps.IndexOf(needle); at >= 0; at = maps.IndexOf(needle))
        {
            count++;
            maps = maps[(at + needle.Length)..];
        }
        return count;
    }
}

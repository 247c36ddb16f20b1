using CsCheck;

namespace Ballast.Bitmap.Tests;

/// <summary>
/// Bit-level cross-check against a <see cref="SortedSet{T}"/> of set bits (a second, independent reference):
/// small windows straddling leaf boundaries near 0, 2^32, 2^63 and 2^64−2.
/// </summary>
public class XBitmapMatchesSortedSetTests
{
    private static readonly ulong[] WindowCentres = [32768, 1UL << 32, 1UL << 63, ulong.MaxValue - 3000];

    private static readonly Gen<ulong> Bit = Gen.Select(
        Gen.Int[0, WindowCentres.Length - 1],
        Gen.Int[-3000, 2999],
        (centre, offset) => (ulong)((long)WindowCentres[centre] + offset));

    private static readonly Gen<(int Kind, ulong A, ulong B)> Operation = Gen.Select(
        Gen.Int[0, 6], Bit, Gen.ULong[0, 2500], (kind, a, b) => (kind, a, b));

    [Fact]
    public void RandomBitOperations_MatchSortedSet() =>
        Operation.Array[1, 40].Sample(
            operations =>
            {
                var bitmap = new XBitmap();
                var reference = new SortedSet<ulong>();
                foreach (var (kind, a, b) in operations)
                {
                    ulong count = Math.Min(b, ulong.MaxValue - a);
                    ulong end = a + count;
                    switch (kind)
                    {
                        case 0:
                            Assert.Equal(reference.Add(a), bitmap.Set(a));
                            break;
                        case 1:
                            Assert.Equal(reference.Remove(a), bitmap.Clear(a));
                            break;
                        case 2:
                            bitmap.SetRange(a, count);
                            for (ulong bit = a; bit < end; bit++)
                            {
                                reference.Add(bit);
                            }

                            break;
                        case 3:
                            bitmap.ClearRange(a, count);
                            reference.RemoveWhere(bit => bit >= a && bit < end);
                            break;
                        case 4:
                            Assert.Equal(reference.FirstOrDefault(bit => bit >= a && bit < end, end), bitmap.FindSet(a, end));
                            break;
                        case 5:
                            ulong zero = a;
                            while (zero < end && reference.Contains(zero))
                            {
                                zero++;
                            }

                            Assert.Equal(zero, bitmap.FindZero(a, end));
                            break;
                        default:
                            Assert.Equal(reference.Contains(a), bitmap.Test(a));
                            break;
                    }
                }

                Assert.Equal((ulong)reference.Count, bitmap.Count);
                Assert.Equal(reference, Expand(bitmap));
                bitmap.CheckInvariants();
            },
            iter: 600);

    private static List<ulong> Expand(XBitmap bitmap)
    {
        var bits = new List<ulong>();
        foreach (XBitmapRun run in bitmap.Runs(0, ulong.MaxValue))
        {
            for (ulong i = 0; i < run.Length; i++)
            {
                bits.Add(run.Start + i);
            }
        }

        return bits;
    }
}

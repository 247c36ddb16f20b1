using Ballast.Bitmap.Tests.Infrastructure;
using CsCheck;

namespace Ballast.Bitmap.Tests;

/// <summary>
/// Random operation sequences (Set, Clear, Test, SetRange, ClearRange, FindSet, FindZero, Runs, Count,
/// Reset) near 0, 2^32, 2^63 and 2^64−2, checked step by step against <see cref="RangeSetModel"/>.
/// </summary>
public class XBitmapMatchesRangeModelTests
{
    [Fact]
    public void RandomOperations_MatchRangeModel() =>
        BitmapGen.Operation.Array[1, 60].Sample(
            operations =>
            {
                var bitmap = new XBitmap();
                var model = new RangeSetModel();
                foreach (BitmapOperation op in operations)
                {
                    ModelChecker.Apply(bitmap, model, op);
                }

                ModelChecker.AssertSame(bitmap, model);
            },
            iter: 3000);

    [Fact]
    public void RandomOperations_KeepInvariantsAfterEveryStep() =>
        BitmapGen.Operation.Array[1, 20].Sample(
            operations =>
            {
                var bitmap = new XBitmap();
                var model = new RangeSetModel();
                foreach (BitmapOperation op in operations)
                {
                    ModelChecker.Apply(bitmap, model, op);
                    ModelChecker.AssertSame(bitmap, model);
                }
            },
            iter: 500);
}

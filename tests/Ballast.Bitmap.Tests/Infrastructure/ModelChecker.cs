namespace Ballast.Bitmap.Tests.Infrastructure;

/// <summary>Applies an operation to an <see cref="XBitmap"/> and the <see cref="RangeSetModel"/> and compares.</summary>
internal static class ModelChecker
{
    public static void Apply(XBitmap bitmap, RangeSetModel model, BitmapOperation op)
    {
        switch (op.Kind)
        {
            case BitmapOperationKind.Set:
                Assert.Equal(!model.Contains(op.A), bitmap.Set(op.A));
                model.Add(op.A, op.A + 1);
                break;
            case BitmapOperationKind.Clear:
                Assert.Equal(model.Contains(op.A), bitmap.Clear(op.A));
                model.Remove(op.A, op.A + 1);
                break;
            case BitmapOperationKind.Test:
                Assert.Equal(model.Contains(op.A), bitmap.Test(op.A));
                break;
            case BitmapOperationKind.SetRange:
                bitmap.SetRange(op.A, op.B);
                model.Add(op.A, op.A + op.B);
                break;
            case BitmapOperationKind.ClearRange:
                bitmap.ClearRange(op.A, op.B);
                model.Remove(op.A, op.A + op.B);
                break;
            case BitmapOperationKind.FindSet:
                Assert.Equal(model.FindSet(op.A, op.B), bitmap.FindSet(op.A, op.B));
                break;
            case BitmapOperationKind.FindZero:
                Assert.Equal(model.FindZero(op.A, op.B), bitmap.FindZero(op.A, op.B));
                break;
            case BitmapOperationKind.Runs:
                Assert.Equal(model.Runs(op.A, op.B), bitmap.Runs(op.A, op.B).ToList());
                break;
            case BitmapOperationKind.Count:
                Assert.Equal(model.Count, bitmap.Count);
                break;
            case BitmapOperationKind.Reset:
                bitmap.Reset();
                model.Reset();
                Assert.Equal(0, bitmap.MemoryBytes);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "unknown operation");
        }
    }

    /// <summary>Whole-state comparison: count, every run in the space, structure invariants, memory when empty.</summary>
    public static void AssertSame(XBitmap bitmap, RangeSetModel model)
    {
        bitmap.CheckInvariants();
        Assert.Equal(model.Count, bitmap.Count);
        Assert.Equal(model.Runs(0, ulong.MaxValue), bitmap.Runs(0, ulong.MaxValue).ToList());
        if (model.Count == 0)
        {
            Assert.Equal(0, bitmap.MemoryBytes);
        }
    }
}

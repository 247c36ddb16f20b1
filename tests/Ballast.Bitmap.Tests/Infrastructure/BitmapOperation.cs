namespace Ballast.Bitmap.Tests.Infrastructure;

/// <summary>
/// One step of a random operation sequence. <see cref="A"/> is the bit or the range start; <see cref="B"/>
/// is the count (SetRange, ClearRange) or the exclusive end (FindSet, FindZero, Runs).
/// </summary>
internal readonly record struct BitmapOperation(BitmapOperationKind Kind, ulong A, ulong B)
{
    public override string ToString() => Kind switch
    {
        BitmapOperationKind.Count or BitmapOperationKind.Reset => Kind.ToString(),
        BitmapOperationKind.Set or BitmapOperationKind.Clear or BitmapOperationKind.Test => $"{Kind}(0x{A:X})",
        BitmapOperationKind.SetRange or BitmapOperationKind.ClearRange => $"{Kind}(0x{A:X}, count 0x{B:X})",
        _ => $"{Kind}(0x{A:X}, end 0x{B:X})",
    };
}

namespace Ballast.Bitmap.Tests.Infrastructure;

internal enum BitmapOperationKind
{
    Set,
    Clear,
    Test,
    SetRange,
    ClearRange,
    FindSet,
    FindZero,
    Runs,
    Count,
    Reset,
}

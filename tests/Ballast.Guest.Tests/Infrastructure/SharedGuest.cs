
namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// A class fixture holding one <see cref="BallastGuest"/> that the tests of a class share (booted by the first test
/// that asks, stopped when the class is done). A boot that failed is not retried: every later test gets the same
/// failure.
/// </summary>
public sealed class SharedGuest : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private BallastGuest? _guest;
    private Exception? _failure;

    /// <summary>The guest, started with <paramref name="options"/> on first use.</summary>
    public async Task<BallastGuest> GetAsync(GuestFixture fixture, BallastGuestOptions options)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        await _gate.WaitAsync();
        try
        {
            if (_failure is not null)
                throw new InvalidOperationException($"the shared guest failed to start earlier: {_failure.Message}", _failure);
            if (_guest is null)
            {
                try
                {
                    _guest = await fixture.StartBallastGuestAsync(options);
                }
                catch (Exception e)
                {
                    _failure = e;
                    throw;
                }
            }
            return _guest;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Stops the guest and its daemon.</summary>
    public async Task DisposeAsync()
    {
        if (_guest is not null)
            await _guest.DisposeAsync();
        _gate.Dispose();
    }
}

namespace DeepSim.Web.Tests.EndToEnd;

/// <summary>
/// The platform started on its own with settings that point it at a local fake of a service that cannot run here (Stripe,
/// a language model), and a browser for it. The fake starts first, so its address can be in the settings, and is
/// disposed last, also after a failed start, so the platform never talks to a fake that is gone.
/// </summary>
public abstract class FakeBackedBrowserFixture<TFake> : IAsyncLifetime where TFake : IDisposable
{
    protected FakeBackedBrowserFixture(TFake fake, Func<TFake, string[]> settings)
    {
        Fake = fake;
        Browser = new BrowserFixture(settings(fake));
    }

    protected TFake Fake { get; }

    public BrowserFixture Browser { get; }

    public Task InitializeAsync() => Browser.InitializeAsync();

    public async Task DisposeAsync()
    {
        try
        {
            await Browser.DisposeAsync();
        }
        finally
        {
            Browser.Dispose();
            Fake.Dispose();
        }
    }
}

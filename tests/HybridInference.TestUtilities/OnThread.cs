namespace HybridInference.TestUtilities;

/// <summary>Runs work on a thread of its own with a given stack size, so that a test can prove deep input does not overflow a small stack.</summary>
public static class OnThread
{
    /// <summary>Runs <paramref name="work"/> on a new thread with <paramref name="stackSize"/> bytes of stack and returns its result.</summary>
    /// <exception cref="InvalidOperationException">The work threw; the exception is its inner exception.</exception>
    public static T WithStack<T>(int stackSize, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = work();
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            },
            stackSize);
        thread.Start();
        thread.Join();
        return failure is null ? result : throw new InvalidOperationException("The work failed on its thread.", failure);
    }
}

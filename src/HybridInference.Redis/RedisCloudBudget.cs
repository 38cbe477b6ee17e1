using StackExchange.Redis;

namespace HybridInference.Redis;

/// <summary>
/// The replicas' one cloud budget: a sliding window of six ten-second segments in one Redis hash, for requests and
/// tokens, checked and taken in one atomic Lua script (<see cref="Script"/>), so that no two replicas take the same
/// room. Segments are numbered from the Unix epoch on the replica's <see cref="TimeProvider"/> (the clocks of a
/// cluster's machines agree far within a segment), which lets tests run it on a fake clock.
/// </summary>
/// <remarks>
/// What the script answered last (the room left in the current segment) is kept, so <see cref="HasRoom"/> reads it
/// without a call. A call that times out may still be carried out by Redis: the budget then counts a request that was
/// not sent, never the reverse.
/// </remarks>
internal sealed class RedisCloudBudget(RedisConnection connection, TimeProvider time) : ISharedCloudBudget
{
    /// <summary>
    /// KEYS[1]: the window's hash, fields <c>r:SEGMENT</c> and <c>t:SEGMENT</c>. ARGV: the current segment, the number
    /// of segments, the request limit, the token limit (0: none), the tokens asked, the key's lifetime in ms. Drops the
    /// segments that left the window, then takes one request and the tokens when both fit. Returns
    /// <c>{taken (1/0), requests left, tokens left}</c>.
    /// </summary>
    internal const string Script = """
        local segment = tonumber(ARGV[1])
        local oldest = segment - tonumber(ARGV[2]) + 1
        local requestLimit = tonumber(ARGV[3])
        local tokenLimit = tonumber(ARGV[4])
        local tokens = tonumber(ARGV[5])
        local fields = redis.call('HGETALL', KEYS[1])
        local requests, used = 0, 0
        for i = 1, #fields, 2 do
          local name = fields[i]
          if tonumber(string.sub(name, 3)) < oldest then
            redis.call('HDEL', KEYS[1], name)
          elseif string.byte(name, 1) == 114 then
            requests = requests + tonumber(fields[i + 1])
          else
            used = used + tonumber(fields[i + 1])
          end
        end
        local taken = 0
        if requests + 1 <= requestLimit and (tokenLimit == 0 or used + tokens <= tokenLimit) then
          taken = 1
          requests = requests + 1
          redis.call('HINCRBY', KEYS[1], 'r:' .. segment, 1)
          if tokenLimit > 0 then
            used = used + tokens
            redis.call('HINCRBY', KEYS[1], 't:' .. segment, tokens)
          end
          redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
        end
        return { taken, requestLimit - requests, tokenLimit - used }
        """;

    private static readonly long SegmentMs = (long)(RedisDefaults.BudgetWindow / RedisDefaults.BudgetSegments).TotalMilliseconds;
    private static readonly long LifetimeMs = (long)(RedisDefaults.BudgetWindow * 2).TotalMilliseconds;
    private readonly RedisKey[] _keys = [connection.Prefix + ":budget"];
    private readonly Lock _gate = new();
    private long _knownSegment = -1;
    private long _requestsLeft;
    private long _tokensLeft;
    private bool _tokenLimited;

    public async ValueTask<bool?> TryAcquireAsync(int requestsPerMinute, int? tokensPerMinute, int tokens, CancellationToken cancellationToken)
    {
        var segment = CurrentSegment();
        RedisValue[] values = [segment, RedisDefaults.BudgetSegments, requestsPerMinute, tokensPerMinute ?? 0, tokens, LifetimeMs];
        var (answered, result) = await connection.RunAsync(
            database => database.ScriptEvaluateAsync(Script, _keys, values), RedisDefaults.BudgetOperation).ConfigureAwait(false);
        if (!answered)
        {
            return null;
        }

        var parts = (RedisResult[])result!;
        lock (_gate)
        {
            _knownSegment = segment;
            _requestsLeft = (long)parts[1];
            _tokensLeft = (long)parts[2];
            _tokenLimited = tokensPerMinute is not null;
        }

        return (long)parts[0] == 1;
    }

    public bool? HasRoom(int tokens)
    {
        if (!connection.IsUp)
        {
            return null;
        }

        lock (_gate)
        {
            return _knownSegment != CurrentSegment() ? null
                : _requestsLeft >= 1 && (!_tokenLimited || _tokensLeft >= tokens);
        }
    }

    private long CurrentSegment() => time.GetUtcNow().ToUnixTimeMilliseconds() / SegmentMs;
}

%% BEAM side of the ETF benchmark (benches/etf_codec.rs): times binary_to_term/1 and
%% term_to_binary/1 on one corpus file per call, and checks what the Rust side encoded.
-module(etf_bench).
-export([round/2, verify/2]).

%% One timing round for File: {DecodePicosPerIter, EncodePicosPerIter, EncodedSize}. Each loop
%% runs enough iterations to take at least MinMs milliseconds of CPU time (calibrated on the first call for
%% the file, then kept), in a fresh process so one round's garbage does not slow the next.
round(File, MinMs) ->
    Bin = read(File),
    Term = binary_to_term(Bin),
    Encoded = term_to_binary(Term),
    DecN = iterations({dec, File}, fun(N) -> loop_dec(Bin, N) end, MinMs),
    EncN = iterations({enc, File}, fun(N) -> loop_enc(Term, N) end, MinMs),
    Dec = in_fresh_process(fun() -> timed(fun() -> loop_dec(Bin, DecN) end) end),
    Enc = in_fresh_process(fun() -> timed(fun() -> loop_enc(Term, EncN) end) end),
    {Dec * 1000 div DecN, Enc * 1000 div EncN, byte_size(Encoded)}.

%% Whether the bytes in OursFile decode to a term =:= the one in OrigFile.
verify(OrigFile, OursFile) ->
    binary_to_term(read(OursFile)) =:= binary_to_term(read(OrigFile)).

read(File) ->
    {ok, Bin} = file:read_file(File),
    Bin.

%% Iterations for at least MinMs, found by doubling once per key and remembered.
iterations(Key, Loop, MinMs) ->
    case get(Key) of
        undefined ->
            N = calibrate(Loop, 1, MinMs * 1000000),
            put(Key, N),
            N;
        N ->
            N
    end.

calibrate(Loop, N, MinNs) ->
    Ns = in_fresh_process(fun() -> timed(fun() -> Loop(N) end) end),
    if
        Ns >= MinNs div 4 -> max(1, (N * MinNs) div max(Ns, 1) + 1);
        true -> calibrate(Loop, N * 2, MinNs)
    end.

%% CPU time of the whole emulator in nanoseconds (millisecond resolution: rounds are >= 100 ms).
%% The bench starts erl with one scheduler that sleeps when idle, so this is the work timed and
%% not time lost to other processes on a shared machine.
timed(F) ->
    {T0, _} = erlang:statistics(runtime),
    F(),
    {T1, _} = erlang:statistics(runtime),
    (T1 - T0) * 1000000.

in_fresh_process(F) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({result, F()}) end),
    receive
        {'DOWN', Ref, process, Pid, {result, R}} -> R;
        {'DOWN', Ref, process, Pid, Other} -> error(Other)
    end.

%% binary_to_term/1 can raise, so the compiler keeps the call; it drops an unused
%% term_to_binary/1 (a "safe" BIF), so that loop adds up the sizes.
loop_dec(_Bin, 0) -> ok;
loop_dec(Bin, N) ->
    _ = binary_to_term(Bin),
    loop_dec(Bin, N - 1).

loop_enc(Term, N) -> loop_enc(Term, N, 0).

loop_enc(_Term, 0, Acc) -> Acc;
loop_enc(Term, N, Acc) ->
    loop_enc(Term, N - 1, Acc + byte_size(term_to_binary(Term))).

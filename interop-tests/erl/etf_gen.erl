%% BEAM side of the ETF differential test: a seeded generator of terms of every kind, written with
%% term_to_binary, and checkers that read back what the Rust codec wrote. Never used in production.
-module(etf_gen).
-export([generate/4, check/1, order_data/3, expect_badarg/1, closure/2, remote_closure/1,
         kinds/0]).

-define(OPTIONS, [[], [compressed], [{minor_version, 1}], [{minor_version, 2}], [{compressed, 9}],
                  [{minor_version, 0}]]).

%% ---------------------------------------------------------------------------------------------
%% generate/4: Count terms, kinds in rotation, options in rotation, into Dir/orig.bin as records
%% <<KindLen:8, Kind, OptIdx:8, Len:32, Etf, Len1:32, Minor1, Len2:32, Minor2>> where Etf is the
%% term under options OptIdx and Minor1/Minor2 are term_to_binary(T, [{minor_version,1|2}]).

generate(Seed, Count, BNode, Dir) ->
    seed(Seed),
    put(etf_env, env(BNode)),
    Kinds = list_to_tuple(kinds()),
    NK = tuple_size(Kinds),
    Opts = list_to_tuple(?OPTIONS),
    Records = [begin
                   Kind = element(I rem NK + 1, Kinds),
                   OptIdx = (I div NK) rem tuple_size(Opts),
                   T = term(Kind),
                   Etf = term_to_binary(T, element(OptIdx + 1, Opts)),
                   M1 = term_to_binary(T, [{minor_version, 1}]),
                   M2 = term_to_binary(T, [{minor_version, 2}]),
                   K = atom_to_binary(Kind),
                   [<<(byte_size(K)):8>>, K, <<OptIdx:8, (byte_size(Etf)):32>>, Etf,
                    <<(byte_size(M1)):32>>, M1, <<(byte_size(M2)):32>>, M2]
               end
               || I <- lists:seq(0, Count - 1)],
    ok = file:write_file(filename:join(Dir, "orig.bin"), Records),
    Count.

seed(Seed) ->
    rand:seed(exsss, {Seed, Seed bxor 16#5bd1e995, 17}).

kinds() ->
    [small_int, neg_int, int32, int64_edge, big_int, huge_int, big_edge,
     float, float_special,
     atom_latin1, atom_latin1_high, atom_utf8, atom_long, atom_quoted,
     string_empty, string, string_edge, unicode_list,
     list_proper, list_improper, deep_nesting,
     tuple_small, tuple_large,
     map_small, map_big, map_complex_keys, map_nested,
     binary, bitstring,
     export_fun, local_fun, remote_fun,
     local_pid, local_ref, local_port,
     remote_pid, remote_ref, remote_port,
     big_creation_pid, big_creation_ref, big_creation_port,
     mixed].

%% Pools of identifiers that belong to node BNode (fetched over rpc) and to this node.
env(BNode) ->
    RemotePids = rpc:call(BNode, erlang, processes, []),
    RemoteRefs = [rpc:call(BNode, erlang, make_ref, []) || _ <- lists:seq(1, 20)],
    RemotePorts = rpc:call(BNode, erlang, ports, []),
    RemoteFuns = [rpc:call(BNode, ?MODULE, remote_closure, [N]) || N <- lists:seq(1, 5)],
    true = is_pid(hd(RemotePids)) andalso node(hd(RemotePids)) =:= BNode,
    true = is_port(hd(RemotePorts)),
    LocalPids = [self(), whereis(init), whereis(kernel_sup) | lists:sublist(processes(), 5)],
    #{local_pids => LocalPids, remote_pids => RemotePids, remote_refs => RemoteRefs, remote_ports => RemotePorts,
      remote_funs => RemoteFuns}.

%% Called on node b: a closure created there, so its pid is b's.
remote_closure(N) ->
    X = lists:seq(1, N),
    fun(Y) -> {Y, X, N} end.

%% A closure over two free variables.
closure(X, Y) ->
    fun(A) -> {A, X, Y} end.

%% ---------------------------------------------------------------------------------------------
%% One term of each kind.

term(small_int) -> uniform(256) - 1;
term(neg_int) -> -uniform(1 bsl 31);
term(int32) -> uniform(1 bsl 32) - (1 bsl 31) - 1;
term(int64_edge) ->
    pick([1 bsl 31, -(1 bsl 31), -(1 bsl 31) - 1, (1 bsl 31) - 1, 1 bsl 32,
          (1 bsl 63) - 1, -(1 bsl 63), 1 bsl 63, -(1 bsl 63) - 1, 1 bsl 64, -(1 bsl 64),
          (1 bsl 64) - 1, 256, -256, 255, -1, 0]);
term(big_int) -> sign() * (1 bsl (31 + uniform(200)) + uniform(1 bsl 30));
term(huge_int) -> sign() * random_bits(300 + uniform(8000));
term(big_edge) ->
    %% SMALL_BIG_EXT holds at most 255 magnitude bytes; 2^2040 needs 256.
    sign() * pick([(1 bsl 2040) - 1, 1 bsl 2040, (1 bsl 2040) + 1, (1 bsl 2032), (1 bsl 2048) - 1]);
term(float) -> sign() * rand:uniform() * math:pow(10, uniform(600) - 300);
term(float_special) ->
    <<NegZero/float>> = <<16#8000000000000000:64>>,
    <<MinSub/float>> = <<1:64>>,
    <<MaxF/float>> = <<16#7FEFFFFFFFFFFFFF:64>>,
    pick([NegZero, 0.0, MinSub, -MinSub, MaxF, -MaxF, 2.2250738585072014e-308, 1.0, -1.0,
          float(1 bsl 53), float(1 bsl 70), 0.1, 1.0e-300, 123456789.0]);
term(atom_latin1) -> list_to_atom(random_chars(uniform(20), "abcdefghijklmnopqrstuvwxyz_"));
term(atom_latin1_high) -> list_to_atom("caf" ++ [233] ++ random_chars(uniform(5), [255, 246, $a]));
term(atom_utf8) ->
    list_to_atom(random_chars(uniform(30), [$a, $b, 233, 955, 26085, 26412, 128512, 8364]));
term(atom_long) ->
    list_to_atom(lists:duplicate(255, pick([$a, 955, 128512, 233])));
term(atom_quoted) ->
    pick(['', 'hello world', 'Elixir.Foo.Bar', 'A', '[]', 'a-b', '\'', '\\', 'true ',
          'nil', 'Upper', '123', 'with\nnewline', 'é']);
term(string_empty) -> "";
term(string) -> random_bytes_list(1 + uniform(300));
term(string_edge) ->
    pick([lists:duplicate(65535, $x), lists:duplicate(65536, $y), [0], [255], [256]]);
term(unicode_list) -> random_chars(1 + uniform(50), [$a, 233, 955, 26085, 128512, 1114111]);
term(list_proper) -> [any(3) || _ <- lists:seq(1, uniform(20))];
term(list_improper) ->
    Head = [any(2) || _ <- lists:seq(1, uniform(10))],
    Tail = pick([a, 1, <<"t">>, {x}, 1.5, #{}, <<1:3>>]),
    Head ++ Tail;
term(deep_nesting) ->
    %% 500 levels at most: our decoder's default depth limit is 1000.
    Levels = pick([10, 100, 500]),
    Leaf = any(1),
    {Wrap, PerWrap} = pick([{fun(X) -> [X] end, 1}, {fun(X) -> {X} end, 1},
                            {fun(X) -> [a, X | b] end, 1}, {fun(X) -> #{k => X} end, 1},
                            {fun(X) -> {x, [X]} end, 2}]),
    lists:foldl(fun(_, Acc) -> Wrap(Acc) end, Leaf, lists:seq(1, Levels div PerWrap));
term(tuple_small) -> list_to_tuple([any(2) || _ <- lists:seq(1, uniform(10) - 1)]);
term(tuple_large) ->
    list_to_tuple([any(1) || _ <- lists:seq(1, pick([255, 256, 300, 1000]))]);
term(map_small) -> maps:from_list([{any(1), any(2)} || _ <- lists:seq(1, uniform(33) - 1)]);
term(map_big) ->
    N = pick([32, 33, 50, 200, 1000]),
    maps:from_list([{key(), any(1)} || _ <- lists:seq(1, N)]);
term(map_complex_keys) ->
    Keys = [1, 1.0, 2, 2.0, -0.0, {1}, {1.0}, [1], [1.0], #{a => 1}, #{1 => 1.0}, <<"k">>,
            <<1:1>>, a, "a", [], {}, 1 bsl 80, float(1 bsl 80)],
    N = pick([3, 8, 20, 40]),
    maps:from_list([{pick(Keys ++ [any(2)]), any(1)} || _ <- lists:seq(1, N)]);
term(map_nested) -> #{any(1) => term(map_small), nested => #{inner => term(map_small)}};
term(binary) -> pick([<<>>, rand:bytes(uniform(1000)), rand:bytes(70000)]);
term(bitstring) ->
    Bits = uniform(7),
    Bytes = rand:bytes(uniform(100) - 1),
    <<Bytes/binary, (uniform(1 bsl Bits) - 1):Bits>>;
term(export_fun) ->
    pick([fun lists:map/2, fun erlang:'+'/2, fun ?MODULE:closure/2,
          erlang:make_fun('weird mod', 'weird fun', 0), erlang:make_fun(m, f, 255),
          erlang:make_fun(list_to_atom([955]), 'é', 3)]);
term(local_fun) ->
    pick([closure(any(2), any(2)), fun() -> ok end, fun(A, B) -> A + B end,
          closure(self(), make_ref())]);
term(remote_fun) -> pick(maps:get(remote_funs, get(etf_env)));
term(local_pid) -> pick(maps:get(local_pids, get(etf_env)));
term(local_ref) -> pick([make_ref(), alias(), erlang:monitor(process, self())]);
term(local_port) -> pick(erlang:ports());
term(remote_pid) -> pick(maps:get(remote_pids, get(etf_env)));
term(remote_ref) -> pick(maps:get(remote_refs, get(etf_env)));
term(remote_port) -> pick(maps:get(remote_ports, get(etf_env)));
term(big_creation_pid) ->
    binary_to_term(<<131, 88, (node_atom())/binary, (uniform(1 bsl 32) - 1):32,
                     (uniform(1 bsl 32) - 1):32, (creation()):32>>);
term(big_creation_ref) ->
    Len = pick([1, 2, 3, 3, 4, 5]),
    Ids = << <<(uniform(1 bsl 32) - 1):32>> || _ <- lists:seq(1, Len) >>,
    binary_to_term(<<131, 90, Len:16, (node_atom())/binary, (creation()):32, Ids/binary>>);
term(big_creation_port) ->
    case uniform(2) of
        1 -> binary_to_term(<<131, 89, (node_atom())/binary, (uniform(1 bsl 32) - 1):32,
                              (creation()):32>>);
        2 -> binary_to_term(<<131, 120, (node_atom())/binary, (uniform(1 bsl 64) - 1):64,
                              (creation()):32>>)
    end;
term(mixed) -> any(5).

creation() -> pick([0, 1, 3, 4, 16#FFFFFFFF, 16#80000000, uniform(1 bsl 32) - 1]).

node_atom() ->
    Name = pick([<<"far@host">>, <<"x@y">>, <<"caf", 195, 169, "@h">>, <<"zz@localhost">>]),
    <<119, (byte_size(Name)):8, Name/binary>>.

%% A random term of any kind, nesting at most Depth levels.
any(0) -> leaf();
any(Depth) ->
    case uniform(10) of
        1 -> [any(Depth - 1) || _ <- lists:seq(1, uniform(5) - 1)];
        2 -> list_to_tuple([any(Depth - 1) || _ <- lists:seq(1, uniform(5) - 1)]);
        3 -> maps:from_list([{any(Depth - 1), any(Depth - 1)} || _ <- lists:seq(1, uniform(4) - 1)]);
        4 -> [any(Depth - 1) | leaf()];
        _ -> leaf()
    end.

leaf() ->
    case uniform(16) of
        1 -> uniform(256) - 1;
        2 -> uniform(1 bsl 40) - (1 bsl 39);
        3 -> sign() * (1 bsl (60 + uniform(100)));
        4 -> sign() * rand:uniform() * math:pow(10, uniform(40) - 20);
        5 -> term(atom_latin1);
        6 -> term(atom_utf8);
        7 -> random_bytes_list(uniform(10) - 1);
        8 -> rand:bytes(uniform(20) - 1);
        9 -> term(bitstring);
        10 -> term(local_pid);
        11 -> term(remote_ref);
        12 -> term(export_fun);
        13 -> pick([true, false, nil, undefined, ok]);
        14 -> term(unicode_list);
        15 -> term(remote_pid);
        16 -> term(big_creation_port)
    end.

key() ->
    pick([uniform(100000), rand:bytes(8), term(atom_latin1), {uniform(1000), x}, any(2),
          float(uniform(1000)), [uniform(10), y]]).

%% ---------------------------------------------------------------------------------------------
%% check/1: Dir/ours.bin holds records <<Idx:32, Variant:8, Len:32, Etf>> written by the Rust codec;
%% each must decode to a term =:= the original term Idx. Returns {ok, NChecked} or
%% {mismatch, [{Idx, Variant, Kind, Reason, Preview}]} (at most 20), and lists every mismatch in
%% Dir/mismatch.txt.

check(Dir) ->
    {ok, Orig} = file:read_file(filename:join(Dir, "orig.bin")),
    Origs = list_to_tuple(read_orig(Orig)),
    {ok, Ours} = file:read_file(filename:join(Dir, "ours.bin")),
    {N, Bad} = check_ours(Ours, Origs, 0, []),
    %% The test reads Dir/mismatch.txt ("Idx Variant" lines) to print the bytes of each.
    ok = file:write_file(filename:join(Dir, "mismatch.txt"),
                         [io_lib:format("~b ~b~n", [I, V]) || {I, V, _, _, _} <- lists:reverse(Bad)]),
    case Bad of
        [] -> {ok, N};
        _ -> {mismatch, lists:sublist(lists:reverse(Bad), 20)}
    end.

read_orig(<<>>) -> [];
read_orig(<<KL:8, Kind:KL/binary, _Opt:8, L:32, Etf:L/binary, L1:32, _:L1/binary, L2:32,
            _:L2/binary, Rest/binary>>) ->
    [{Kind, binary_to_term(Etf)} | read_orig(Rest)].

check_ours(<<>>, _, N, Bad) -> {N, Bad};
check_ours(<<Idx:32, Variant:8, L:32, Etf:L/binary, Rest/binary>>, Origs, N, Bad) ->
    {Kind, Want} = element(Idx + 1, Origs),
    Result = try binary_to_term(Etf) of
                 Got when Got =:= Want -> ok;
                 Got -> {differs, preview(Got)}
             catch
                 C:R -> {raised, C, R}
             end,
    case Result of
        ok -> check_ours(Rest, Origs, N + 1, Bad);
        _ -> check_ours(Rest, Origs, N + 1, [{Idx, Variant, Kind, Result, preview(Want)} | Bad])
    end.

preview(T) -> lists:flatten(io_lib:format("~P", [T, 12])).

%% ---------------------------------------------------------------------------------------------
%% order_data/3: Dir/order.bin = term_to_binary({Shuffled, Sorted, Pairs}) where Shuffled has N
%% terms no two of which are == (so lists:sort/1 has one answer), Sorted = lists:sort(Shuffled),
%% and Pairs = [{A, B, Cmp, Exact}] with Cmp -1|0|1 by Erlang's </== and Exact = (A =:= B).

order_data(Seed, N, Dir) ->
    seed(Seed),
    put(etf_env, env(node())),
    Raw = [order_term() || _ <- lists:seq(1, N)] ++ tricky_terms(),
    Distinct = lists:usort(Raw),
    Shuffled = [T || {_, T} <- lists:sort([{rand:uniform(), T} || T <- Distinct])],
    Sorted = lists:sort(Shuffled),
    Pairs = [pair(A, B) || {A, B} <- tricky_pairs() ++ random_pairs(N)],
    ok = file:write_file(filename:join(Dir, "order.bin"),
                         term_to_binary({Shuffled, Sorted, Pairs}, [{minor_version, 2}])),
    {length(Shuffled), length(Pairs)}.

order_term() ->
    case uniform(4) of
        1 -> any(3);
        2 -> term(pick(kinds() -- [deep_nesting, tuple_large, map_big, string_edge, huge_int]));
        3 -> pick(tricky_terms());
        4 -> list_to_tuple([leaf() || _ <- lists:seq(1, uniform(3))])
    end.

tricky_terms() ->
    <<NegZero/float>> = <<16#8000000000000000:64>>,
    [1, 1.0, 2, 1.5, -1, -1.0, 0, 0.0, NegZero, 1 bsl 64, float(1 bsl 64), (1 bsl 64) + 1,
     -(1 bsl 64), float(-(1 bsl 64)), 1 bsl 1100, -(1 bsl 1100), 1.7976931348623157e308,
     -1.7976931348623157e308, (1 bsl 53) + 1, float(1 bsl 53),
     #{1 => a}, #{1.0 => a}, #{2 => a}, #{a => 1}, #{b => 0}, #{1 => a, 2 => b},
     #{1.0 => a, 2 => b}, #{a => 1, b => 2}, #{a => 1, c => 0},
     [], [a], [a | b], [a, b], "abc", "abd", [97, 98 | 99],
     <<>>, <<0:1>>, <<1:1>>, <<128>>, <<1:3>>, <<0>>, <<0, 0:1>>, <<"abc">>, <<"ab">>,
     {}, {a}, {a, b}, {b}, {1, 2.0}, a, b, '', 'é', aa,
     self(), make_ref(), hd(erlang:ports()), fun lists:map/2, fun lists:filter/2,
     closure(1, 2), closure(1, 3)].

tricky_pairs() ->
    <<NegZero/float>> = <<16#8000000000000000:64>>,
    [{1, 1.0}, {2, 1.5}, {1.5, 2}, {0, NegZero}, {0.0, NegZero}, {1 bsl 64, float(1 bsl 64)},
     {(1 bsl 64) + 1, float(1 bsl 64)}, {(1 bsl 53) + 1, float((1 bsl 53) + 1)},
     {1 bsl 1100, 1.7976931348623157e308}, {-(1 bsl 1100), -1.7976931348623157e308},
     {#{1 => a}, #{1.0 => a}}, {#{2 => a}, #{1.0 => a}}, {#{a => 1}, #{a => 1.0}},
     {#{a => 1}, #{b => 0}}, {#{a => 2, b => 1}, #{a => 1, b => 2}},
     {{1}, {1.0}}, {[1], [1.0]}, {[1 | 2], [1, 2]}, {[a | b], [a]}, {"abc", [97, 98 | 99]},
     {<<1:3>>, <<1>>}, {<<>>, <<0:1>>}, {<<128>>, <<1:1>>}, {<<0, 0:1>>, <<0>>},
     {a, 1 bsl 2000}, {make_ref(), self()}, {fun lists:map/2, closure(1, 2)},
     {closure(1, 2), closure(1, 2.0)}, {closure(1, 2), fun() -> ok end},
     {hd(erlang:ports()), self()}, {self(), {}}, {{}, #{}}, {#{}, []}, {[], <<>>}].

random_pairs(N) ->
    [begin A = order_term(), {A, mutate(A)} end || _ <- lists:seq(1, N)].

%% A term close to T: one leaf changed, a number's type flipped, or an element added.
mutate(T) when is_integer(T) -> pick([T + 1, T - 1, safe(fun() -> float(T) end, T), T]);
mutate(T) when is_float(T) -> pick([safe(fun() -> T * 2 end, T), T + 1.0, T, round(T)]);
mutate(T) when is_list(T), T =/= [] ->
    case catch lists:split(uniform(length(T)) - 1, T) of
        {H, [X | R]} -> H ++ [mutate(X) | R];
        _ -> T
    end;
mutate(T) when is_tuple(T), tuple_size(T) > 0 ->
    I = uniform(tuple_size(T)),
    setelement(I, T, mutate(element(I, T)));
mutate(T) when is_map(T), map_size(T) > 0 ->
    K = pick(maps:keys(T)),
    pick([T#{K := mutate(maps:get(K, T))}, maps:remove(K, T), T#{mutate(K) => x}]);
mutate(T) when is_binary(T) -> pick([<<T/binary, 0>>, <<T/bitstring, 1:1>>, T]);
mutate(T) -> pick([T, any(1)]).

safe(F, Default) ->
    try F() catch error:_ -> Default end.

pair(A, B) ->
    Cmp = if A < B -> -1; A == B -> 0; true -> 1 end,
    {A, B, Cmp, A =:= B}.

%% ---------------------------------------------------------------------------------------------
%% expect_badarg/1: File holds records <<Len:32, Bytes>>; each must make binary_to_term/1 raise
%% badarg. Returns {ok, N} or {accepted, [{Index, Preview}]} for those that decoded.

expect_badarg(File) ->
    {ok, Bin} = file:read_file(File),
    {N, Accepted} = each_bad(Bin, 0, []),
    %% The test reads File.accepted (one index a line) to print each accepted input.
    ok = file:write_file(File ++ ".accepted",
                         [io_lib:format("~b~n", [I]) || {I, _} <- lists:reverse(Accepted)]),
    case Accepted of
        [] -> {ok, N};
        _ -> {accepted, lists:sublist(lists:reverse(Accepted), 20)}
    end.

each_bad(<<>>, N, Acc) -> {N, Acc};
each_bad(<<L:32, B:L/binary, Rest/binary>>, N, Acc) ->
    Acc1 = try binary_to_term(B) of
               T -> [{N, preview(T)} | Acc]
           catch
               error:badarg -> Acc;
               C:R -> [{N, {C, R}} | Acc]
           end,
    each_bad(Rest, N + 1, Acc1).

%% ---------------------------------------------------------------------------------------------
%% Helpers.

uniform(N) -> rand:uniform(N).
pick(List) -> lists:nth(uniform(length(List)), List).
sign() -> pick([1, -1]).
random_bits(Bits) ->
    <<R:Bits, _/bitstring>> = rand:bytes(Bits div 8 + 1),
    (1 bsl (Bits - 1)) bor R.
random_bytes_list(N) -> binary_to_list(rand:bytes(N)).
random_chars(N, Alphabet) -> [pick(Alphabet) || _ <- lists:seq(1, N)].

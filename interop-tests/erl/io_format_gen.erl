%% Cases for the io_lib:format/2 differential test (interop-tests/tests/io_format_erl.rs):
%% format strings with arguments, and what OTP 25's io_lib:format/2 makes of each.
%% run(Path, Seed) writes term_to_binary([{Format, Args, Result}]) to Path, where Result is
%% {ok, Utf8Binary} or {error, badarg} (or {error, chars} when the result is not Unicode).
-module(io_format_gen).
-export([run/2, cases/1]).

run(Path, Seed) ->
    Cases = cases(Seed),
    Results = [{F, A, result(F, A)} || {F, A} <- Cases],
    ok = file:write_file(Path, term_to_binary(Results)),
    length(Results).

result(F, A) ->
    try io_lib:format(F, A) of
        Chars ->
            case catch unicode:characters_to_binary(Chars) of
                B when is_binary(B) -> {ok, B};
                _ -> {error, chars}
            end
    catch
        error:badarg -> {error, badarg}
    end.

cases(Seed) ->
    rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 2}),
    lists:append([plain(), writes(), pretty_one_line(), strings(), chars(), integers(),
                  floats(), widths(), unicode(), depth(), wrapping(), columns(), errors(),
                  random_terms(120), random_floats(300), graphemes(), known_differences()]).

samples() ->
    [ok, 'Quoted', 'end', 'a b', '', 'a@b', 'ä', 'with\'quote', 'new\nline',
     0, -1, 42, 123456789012345678901234567890, -98765432109876543210,
     1.0, -0.0, 0.1, 1.0e20, 1.5e-7, 123.456, 3.141592653589793,
     [], "abc", "with \"quotes\" and \\", "tab\there", "line\nbreak", [1, 2, 3],
     [97, 98 | 99], [a | b], "\e\v\b\f\r", [7], [0], [255, 160], [256],
     <<>>, <<"abc">>, <<1, 2, 3>>, <<"é"/utf8>>, <<255, 0>>, <<1:3>>, <<1, 2:5>>,
     <<"ab\n\t">>, <<"quote\"">>,
     {}, {a}, {a, b}, {1, 2, 3}, {tag, [1, 2], <<"x">>}, {{nested}, [[]]},
     #{}, #{a => 1}, #{b => [1, 2], a => {x, y}, "k" => <<"v">>},
     fun lists:map/2, fun erlang:'+'/2].

plain() ->
    [{"", []}, {"hello", []}, {"~~", []}, {"~n", []}, {"a~nb~n", []}, {"~i~w", [skipped, shown]},
     {hello_atom, []}, {<<"bin ~w">>, [1]}, {"x~~y", []}, {["nested ", "list ~w"], [1]},
     {[$a, <<"bin">>, $~, $w], [1]}].

writes() ->
    [{"~w", [T]} || T <- samples()] ++
    [{"~tw", [T]} || T <- [ok, 'ä', 'α', 'Ω b', "αβ", <<"é"/utf8>>]].

pretty_one_line() ->
    [{"~p", [T]} || T <- samples()] ++
    [{"~lp", [T]} || T <- ["abc", <<"abc">>, [[97, 98], "cd"], {"x", <<"y">>}]] ++
    [{"~tp", [T]} || T <- ['α', "αβ", [945, 946], <<"αβ"/utf8>>, <<"é"/utf8>>, <<"éa">>,
                          <<"abc">>, <<195, 40>>, {'ä', "ä"}]] ++
    [{"~p", [T]} || T <- [[$a, 1], "a\x{7f}", [1 | 2], {[], <<>>, #{}},
                         <<"a", 0>>, <<0, "abc">>, lists:seq(32, 60)]].

strings() ->
    Args = ["abc", <<"bin">>, atom, [<<"io">>, $l, ["ist"]], [$a | <<"b">>], "", "a longer string"],
    [{F, [A]} || F <- ["~s", "~5s", "~-5s", "~.2s", "~5.2s", "~-5.2s", "~2s", "~10.*s", "~5.3.xs",
                       "~.5s", "~3.3s", "~-10.4._s", "~ts", "~8ts"],
                 A <- Args, F =/= "~10.*s"] ++
    [{"~10.*s", [$*, "star"]}, {"~.*s", [3, "abcdef"]}, {"~*.*s", [-8, 2, "abc"]},
     {"~-*s", [6, "ab"]}].

chars() ->
    [{F, A} || {F, A} <- [{"~c", [$a]}, {"~5c", [$b]}, {"~.3c", [$c]}, {"~5.2c", [$d]},
                          {"~-5.2c", [$e]}, {"~5.2.*c", [$*, $f]}, {"~c", [256 + $a]},
                          {"~tc", [945]}, {"~c", [-1]}, {"~3~", []}, {"~5.2~", []},
                          {"~3n", []}, {"~0c", [$x]}, {"~tc~tc", [$ä, 8364]}]].

integers() ->
    Values = [0, 7, -7, 255, -255, 1 bsl 70, -(1 bsl 70)],
    [{F, [V]} || F <- ["~b", "~B", "~.2b", "~.16b", "~.16B", "~.36B", "~+", "~.16+", "~#",
                       "~.16#", "~8B", "~-8B", "~8.16.0B", "~2B", "~.8+"],
                 V <- Values] ++
    [{F, [V, P]} || F <- ["~x", "~X", "~.16x", "~.16X", "~12.16.0x"],
                    V <- [255, -255], P <- ['0x', "#", [$p, [$q]]]].

floats() ->
    Values = [0.0, -0.0, 1.0, -1.5, 0.1, 0.05, 2.5, 0.125, 9.999999, 99.5, 1234.5678, 1.0e4,
              1.0e-10, 6.02214076e23, -1.7976931348623157e308, 5.0e-324, 0.3, 0.7,
              123456789.123, 0.0001234, 9.5, 0.95],
    [{F, [V]} || F <- ["~e", "~f", "~g", "~w", "~p", "~.2e", "~.3f", "~.1f", "~.10f", "~.1g",
                       "~.2g", "~.10g", "~12.3f", "~-12.3f", "~5f", "~15e", "~.15e", "~.20f"],
                 V <- Values].

widths() ->
    T = {a, "b", [1, 2]},
    [{F, [T]} || F <- ["~20w", "~-20w", "~5w", "~.5w", "~20.5w", "~20..w", "~20.*w"],
                 F =/= "~20.*w"] ++
    [{"~20.*w", [8, T]}, {"~*w", [-12, T]}, {"~*w", [12, T]}, {"~10.*w", [$#, x]},
     {"~10p", [T]}, {"~0p", [{a, "bbbbbbbbbbbbbbbbbbbbb", [1, 2, 3, 4, 5, 6]}]},
     {"~30p", [lists:seq(1, 30)]}, {"~.10p", [lists:seq(1, 30)]}, {"~50.20p", [lists:seq(1, 30)]},
     {"~10W", [T, 2]}, {"~10.3p", [T]}, {"~0w", [T]}, {"~3w", [12345]}].

unicode() ->
    [{"~ts", ["αβγ"]}, {"~ts", [<<"αβγ"/utf8>>]}, {"~ts", [<<"é">>]}, {"~s", [<<"é"/utf8>>]},
     {"~ts", [['α', "β"]]}, {"~ts", [["α", <<"β"/utf8>>]]}, {"~5ts", ["αβ"]}, {"~-5ts|", ["αβ"]},
     {"~.2ts", ["αβγδ"]}, {"~ts", ['ατομ']}, {"~tw", ['ατομ']}, {"~w", ['ατομ']},
     {"~tp", ['ατομ']}, {"~p", ['ατομ']}, {"~tp", [["αβ", 'α', <<"β"/utf8>>]]},
     {"αβ ~w", [1]}, {<<"bytes ~w">>, [2]}, {<<"é ~w"/utf8>>, [2]}, {<<"é ~w">>, [2]}, {'ατομ ~w', [3]}, {"~ts", ["e\x{301}x"]},
     {"~3ts|", ["e\x{301}x"]}, {"~ts", [<<0, 255, 128>>]}, {"~10ts|", [<<"é"/utf8>>]},
     {"~s", [[1000]]}, {"~ts", [[1000]]}, {"~tp", [[1000, 1001]]}, {"~p", [[1000]]},
     {"~tp", [lists:duplicate(30, 'αβγ')]}, {"~tp", [{'α', lists:seq(1, 30)}]}].

depth() ->
    L = lists:seq(1, 10),
    T = {a, {b, {c, {d, e}}}, [1, [2, [3, [4]]]], <<"binary">>, #{k => #{k2 => v}}},
    [{F, [X, D]} || F <- ["~W", "~P"], X <- [L, T, <<"a long binary here">>, <<1, 2, 3, 4, 5>>,
                                            "a string", [1, 2 | 3], #{a => 1, b => 2},
                                            <<1, 2:3>>, {x, y}, <<"abcdefghijklmnopqrstuvwxyz0123">>],
                   D <- [0, 1, 2, 3, 5, -1]].

wrapping() ->
    Long = lists:seq(1, 60),
    Strs = [lists:duplicate(N, $x) || N <- [10, 30, 50, 90]],
    Big = {state, Long, Strs, #{key => Long, other => "value", nested => #{a => Strs}}},
    Recs = [{person, "Name " ++ integer_to_list(I), I, [{email, "user@example.com"}]}
            || I <- lists:seq(1, 6)],
    [{"~p", [X]} || X <- [Long, Strs, Big, Recs, {Long, Long}, [Long | Long],
                           list_to_binary(lists:seq(0, 120)), list_to_binary(lists:duplicate(200, $a)),
                           <<"a", 0, (list_to_binary(lists:seq(1, 100)))/binary>>,
                           {a_very_long_tag_name_that_goes_on_and_on, Long},
                           {ok, [{k, lists:duplicate(70, $y)}]},
                           maps:from_list([{I, lists:seq(1, I)} || I <- lists:seq(1, 12)]),
                           maps:from_list([{lists:duplicate(I * 10, $k), I} || I <- lists:seq(1, 5)]),
                           [lists:seq(1, 25) | tail_atom_that_is_long_enough_to_wrap_the_line],
                           {[a | b], lists:seq(1, 40), [x | lists:seq(1, 30)]},
                           lists:duplicate(15, {some_tag, 12345, "text"}),
                           [<<I:8, "abcdefghij">> || I <- lists:seq(200, 215)],
                           list_to_tuple(lists:seq(1, 40)),
                           {tag, list_to_binary(lists:seq(1, 90)), <<1:1, 2:7, 3:3>>}]] ++
    [{"~P", [Big, D]} || D <- [3, 5, 8, 12]] ++
    [{"~tp", [[unicode:characters_to_binary(lists:duplicate(10, 945)) || _ <- lists:seq(1, 8)]]}].

columns() ->
    X = {tagged_tuple, lists:seq(1, 30), "a string value", #{k => v}},
    [{Pre ++ "~p" ++ Post, [X]} || Pre <- ["", "prefix: ", "a much longer prefix of text here: ",
                                          "\t", "two\nlines: "],
                                  Post <- ["", " and ~w"], Post =:= ""] ++
    [{"~w ~p ~p", [1, X, X]}, {"~s~p", [lists:duplicate(70, $-), [1, 2, 3]]},
     {"~.40p", [X]}, {"~.1p", [X]}, {"~.0p", [X]}, {"~60.5p", [X]}].

errors() ->
    [{"~d", [1]}, {"~a", [x]}, {"~w", []}, {"~w", [1, 2]}, {"~e", [1]}, {"~f", [x]},
     {"~-p", [x]}, {"~-5p", [x]}, {"~s", [{x}]}, {"~s", [[300]]}, {"~5.10s", ["abc"]},
     {"~b", [1.0]}, {"~.1b", [5]}, {"~.37b", [5]}, {"~x", [1, {}]}, {"~c", [a]},
     {"~W", [x, y]}, {"~", []}, {"~5", [x]}, {"~-n", []}, {"~-3n", []}, {"~.1e", [1.0]},
     {"~.0f", [1.0]}, {"~.0g", [1.0]}, {"~3.5c", [$a]}, {"~*w", [x, y]}, {"~q", []},
     {"~s", [[a]]}, {"~s", [1]}, {"~ts", [[-1]]}, {"~s", ['α']}, {"~s", [<<1:3>>]},
     {"~s", [[$a | b]]}, {123, []}, {"~w", x}, {"~tc", [16#D800]}].

%% Floats from random bit patterns and random short decimals, with random float directives.
random_floats(N) ->
    [{rand_float_format(), [rand_float()]} || _ <- lists:seq(1, N)].

rand_float() ->
    case rand:uniform(3) of
        1 ->
            <<Bits:64>> = <<(rand:uniform(1 bsl 62) + rand:uniform(1 bsl 63)):64>>,
            try <<F/float>> = <<Bits:64>>, F catch _:_ -> 1.5 end;
        2 -> (rand:uniform(200000) - 100000) / 1000;
        3 -> (rand:uniform(1000) - 500) * math:pow(10, rand:uniform(40) - 20)
    end.

rand_float_format() ->
    C = lists:nth(rand:uniform(4), ["e", "f", "g", "w"]),
    Min = case C of "e" -> 2; _ -> 1 end,
    case rand:uniform(3) of
        1 -> "~" ++ C;
        2 -> "~." ++ integer_to_list(Min + rand:uniform(18) - 1) ++ C;
        3 -> "~" ++ integer_to_list(rand:uniform(25)) ++ "." ++ integer_to_list(Min + rand:uniform(8) - 1) ++ C
    end.

%% string:length/1 and string:slice/3 count grapheme clusters.
graphemes() ->
    Texts = ["e\x{301}x", "\x{1F1F8}\x{1F1EA}\x{1F1F3}\x{1F1F4}", "\x{1100}\x{1161}\x{11A8}ab",
             "\x{1F468}\x{200D}\x{1F469}\x{200D}\x{1F467}x", "a\r\nb\x{3B1}", "\x{928}\x{93F}x",
             "\x{E01}\x{E33}x", "\x{1F44D}\x{1F3FD}!"],
    [{F, [T]} || F <- ["~ts|", "~.1ts|", "~.2ts|", "~6ts|", "~-6.2ts|", "~8.3ts|", "~10tw|"],
                 T <- Texts].

%% Pids, ports, references and funs (the test numbers this node, nonode@nohost, 0); and maps of
%% more than 32 keys, which we print in a different order (see docs/io_format.md).
known_differences() ->
    Big = maps:from_list([{I, I} || I <- lists:seq(1, 40)]),
    Ids = [self(), make_ref(), hd(erlang:ports()), fun() -> ok end, fun(X) -> X + 1 end,
           fun lists:sort/1],
    [{F, [T]} || F <- ["~p", "~w", "~20p"], T <- Ids] ++
    [{"~p", [{pids, lists:duplicate(8, self()), Ids}]}, {"~w", [Big]}, {"~p", [Big]}].

%% Random terms for ~p: nested tuples, lists, maps (at most 32 keys), strings, binaries.
random_terms(N) ->
    lists:append([begin
                       T = rand_term(4),
                       Pre = lists:duplicate(rand:uniform(40) - 1, $.),
                       Width = integer_to_list(10 + rand:uniform(90)),
                       [{"~p", [T]}, {Pre ++ "~p", [T]}, {"~P", [T, rand:uniform(8)]},
                        {Pre ++ "~" ++ Width ++ "p", [T]}, {"~tp", [T]}]
                   end || _ <- lists:seq(1, N)]).

rand_term(0) -> rand_atomic();
rand_term(D) ->
    case rand:uniform(10) of
        1 -> list_to_tuple([rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        2 -> list_to_tuple([rand_atom() | [rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(5))]]);
        3 -> [rand_term(D - 1) || _ <- lists:seq(1, rand:uniform(12) - 1)];
        4 -> maps:from_list([{rand_atomic(), rand_term(D - 1)} || _ <- lists:seq(1, rand:uniform(6) - 1)]);
        5 -> [rand_term(D - 1) | rand_atomic()];
        _ -> rand_atomic()
    end.

rand_atomic() ->
    case rand:uniform(9) of
        1 -> rand_atom();
        2 -> rand:uniform(1 bsl (rand:uniform(80))) - 1000;
        3 -> rand:uniform() * math:pow(10, rand:uniform(30) - 15);
        4 -> lists:duplicate(rand:uniform(30), $a + rand:uniform(25));
        5 -> list_to_binary(lists:duplicate(rand:uniform(40), $A + rand:uniform(25)));
        6 -> crypto_bytes(rand:uniform(30));
        7 -> [rand:uniform(300) || _ <- lists:seq(1, rand:uniform(8))];
        8 -> lists:duplicate(rand:uniform(3), "nested");
        9 -> <<(rand:uniform(255)):8, (rand:uniform(7)):3>>
    end.

rand_atom() ->
    lists:nth(rand:uniform(8), [ok, error, state, a_rather_long_atom_name, 'Quoted', x, undefined,
                                'needs quoting']).

crypto_bytes(N) -> list_to_binary([rand:uniform(256) - 1 || _ <- lists:seq(1, N)]).

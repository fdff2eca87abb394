# -*- coding: latin-1 -*-
# trtlint: noqa: TRT101
x = 1  # noqa

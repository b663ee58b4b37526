package io.cvpipe.train;
